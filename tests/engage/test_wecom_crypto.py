"""WXBizMsgCrypt: a fixed vector computed outside siyu, round trips, refusals."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.engage.errors import EngageError
from siyu.engage.wecom.callback import CallbackQuery, verify_url
from siyu.engage.wecom.crypto import WXBizMsgCrypt, pkcs7_pad, pkcs7_unpad
from siyu.engage.wecom.events import parse_event_xml
from siyu.engage.wecom.xml import parse_flat

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CORP = "wwcorp"
PREFIX = bytes(range(16))
MESSAGE = (
    "<xml><ToUserName><![CDATA[wwcorp]]></ToUserName>"
    "<Event><![CDATA[change_external_contact]]></Event></xml>"
)
# The documented scheme applied by hand with the openssl CLI (not with siyu's code):
#   plain = bytes(range(16)) | len(MESSAGE) as 4 bytes big-endian | MESSAGE | "wwcorp",
#   PKCS#7-padded to 32 bytes (pad 30 here: a 16-byte block size would pad 16), then
#   openssl enc -aes-256-cbc -nopad -K 69b71d79…1051 -iv 69b71d79…2dba | base64
VECTOR = (
    "IG+0eOkLdhYW9kHtuT3HY/Dc475QTkmpfTN0XiP6Wkrt4UTYN0Tf1DSmhYE+9mu/AaSCOjAiwIT/iOr4InD2yu0J"
    "VgGNo5yXbP6p+SP8PDV6j2QY6B+m+mgrwo3oDbPZiGJhQk1o/NmS2GryGE06TCnLuKKyJLcBNr90XHQrCmezvR+9"
    "mNfUAG72XpzGoYgCB2S1Yny8Ca3UICewF+HSNA=="
)


def crypto() -> WXBizMsgCrypt:
    return WXBizMsgCrypt("token123", AES_KEY, CORP)


def test_key_is_base64_of_the_aes_key_plus_padding() -> None:
    assert crypto().key.hex() == "69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051"


def test_encrypt_matches_the_vector_computed_with_openssl() -> None:
    assert crypto().encrypt(MESSAGE, random_prefix=PREFIX) == VECTOR


def test_decrypt_reads_the_vector() -> None:
    assert crypto().decrypt(VECTOR) == MESSAGE


def test_signature_is_sha1_of_the_sorted_parts() -> None:
    parts = sorted(["token123", "1409659813", "nonce", VECTOR])
    expected = hashlib.sha1("".join(parts).encode()).hexdigest()
    assert crypto().signature("1409659813", "nonce", VECTOR) == expected


def test_url_verification_answers_the_decrypted_echostr() -> None:
    echostr = crypto().encrypt("4125698751245", random_prefix=PREFIX)
    signature = crypto().signature("1409659813", "263014780", echostr)
    query = CallbackQuery(signature, "1409659813", "263014780", echostr)
    assert verify_url(crypto(), query) == "4125698751245"


def test_a_wrong_signature_is_refused() -> None:
    echostr = crypto().encrypt("x")
    with pytest.raises(EngageError) as refused:
        verify_url(crypto(), CallbackQuery("0" * 40, "1", "2", echostr))
    assert refused.value.code == "bad_signature"


def test_a_message_for_another_corp_is_refused() -> None:
    other = WXBizMsgCrypt("token123", AES_KEY, "wwother").encrypt(MESSAGE)
    with pytest.raises(EngageError) as refused:
        crypto().decrypt(other)
    assert refused.value.code == "bad_callback"


def test_event_post_round_trip_through_the_reply_format() -> None:
    reply = crypto().encrypt_reply(MESSAGE, timestamp="1409659813", nonce="n1")
    fields = parse_flat(reply)
    assert fields["MsgSignature"] == crypto().signature("1409659813", "n1", fields["Encrypt"])
    body = f"<xml><ToUserName>{CORP}</ToUserName><Encrypt>{fields['Encrypt']}</Encrypt></xml>"
    plaintext = crypto().decrypt_post(fields["MsgSignature"], "1409659813", "n1", body.encode())
    assert (
        parse_event_xml(
            plaintext.replace(
                "</xml>",
                "<ChangeType>add_external_contact</ChangeType><CreateTime>1</CreateTime></xml>",
            )
        ).change_type
        == "add_external_contact"
    )


def test_xml_with_a_dtd_is_refused() -> None:
    with pytest.raises(EngageError):
        parse_flat('<!DOCTYPE x [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>')


@given(st.text(max_size=300), st.binary(min_size=16, max_size=16))
def test_encrypt_then_decrypt_returns_the_message(message: str, prefix: bytes) -> None:
    assert crypto().decrypt(crypto().encrypt(message, random_prefix=prefix)) == message


@given(st.binary(max_size=200))
def test_padding_is_to_32_bytes_and_reversible(data: bytes) -> None:
    padded = pkcs7_pad(data)
    assert len(padded) % 32 == 0
    assert 1 <= len(padded) - len(data) <= 32
    assert pkcs7_unpad(padded) == data


@given(st.binary(min_size=32, max_size=32).filter(lambda b: b[-1] == 0 or b[-1] > 32))
def test_bad_padding_is_refused(block: bytes) -> None:
    with pytest.raises(EngageError):
        pkcs7_unpad(block)


def test_ciphertext_that_is_not_base64_is_refused() -> None:
    with pytest.raises(EngageError):
        crypto().decrypt("not base64!")
    with pytest.raises(EngageError):
        crypto().decrypt(base64.b64encode(b"short").decode())
