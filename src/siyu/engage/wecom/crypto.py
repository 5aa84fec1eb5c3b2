"""WXBizMsgCrypt, the WeCom callback cipher (docs/reach.md has the scheme, FORMATS.md §4.2).

- signature = sha1 of the sorted concatenation of token, timestamp, nonce and the ciphertext
  (the `echostr` for URL verification, the `<Encrypt>` element for an event POST);
- AES-256-CBC with key = base64decode(EncodingAESKey + "="), IV = key[:16];
- PKCS#7 padding to a 32-byte block;
- plaintext = 16 random bytes | 4-byte big-endian length | message | receive_id (the corpid).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from siyu.engage.errors import EngageError, EngageErrorCode
from siyu.engage.wecom.xml import parse_flat, render_flat

BLOCK = 32


def pkcs7_pad(data: bytes, block: int = BLOCK) -> bytes:
    amount = block - len(data) % block
    return data + bytes([amount]) * amount


def pkcs7_unpad(data: bytes, block: int = BLOCK) -> bytes:
    amount = data[-1] if data else 0
    if not 1 <= amount <= block or data[-amount:] != bytes([amount]) * amount:
        raise EngageError(EngageErrorCode.BAD_CALLBACK, "callback ciphertext: bad padding")
    return data[:-amount]


class WXBizMsgCrypt:
    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if len(encoding_aes_key) != 43:
            raise EngageError(
                EngageErrorCode.BAD_CALLBACK, "EncodingAESKey must be 43 characters long"
            )
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.receive_id = receive_id

    def signature(self, timestamp: str, nonce: str, encrypted: str) -> str:
        joined = "".join(sorted([self.token, timestamp, nonce, encrypted]))
        return hashlib.sha1(joined.encode()).hexdigest()

    def encrypt(self, message: str, *, random_prefix: bytes | None = None) -> str:
        prefix = os.urandom(16) if random_prefix is None else random_prefix
        assert len(prefix) == 16
        body = message.encode()
        plain = prefix + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        encryptor = self._cipher().encryptor()
        sealed = encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()
        return base64.b64encode(sealed).decode()

    def decrypt(self, encrypted: str) -> str:
        try:
            sealed = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as error:
            raise EngageError(EngageErrorCode.BAD_CALLBACK, "ciphertext is not base64") from error
        if not sealed or len(sealed) % 16:
            raise EngageError(EngageErrorCode.BAD_CALLBACK, "ciphertext has a bad length")
        decryptor = self._cipher().decryptor()
        plain = pkcs7_unpad(decryptor.update(sealed) + decryptor.finalize())
        if len(plain) < 20:
            raise EngageError(EngageErrorCode.BAD_CALLBACK, "callback plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length or receive_id.decode(errors="replace") != self.receive_id:
            raise EngageError(EngageErrorCode.BAD_CALLBACK, "callback is for another receiver")
        return message.decode()

    def check(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = self.signature(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected, msg_signature):
            raise EngageError(EngageErrorCode.BAD_SIGNATURE, "callback signature does not match")

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): the decrypted echostr, which the receiver answers."""
        self.check(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_post(self, msg_signature: str, timestamp: str, nonce: str, body: bytes) -> str:
        """An event POST: the decrypted inner XML."""
        encrypted = parse_flat(body).get("Encrypt", "")
        if not encrypted:
            raise EngageError(EngageErrorCode.BAD_CALLBACK, "callback body has no <Encrypt>")
        self.check(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def encrypt_reply(
        self, reply: str, *, timestamp: str, nonce: str, random_prefix: bytes | None = None
    ) -> str:
        """A passive reply: `<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>`."""
        encrypted = self.encrypt(reply, random_prefix=random_prefix)
        return render_flat(
            {
                "Encrypt": encrypted,
                "MsgSignature": self.signature(timestamp, nonce, encrypted),
                "TimeStamp": timestamp,
                "Nonce": nonce,
            },
            cdata=frozenset({"Encrypt", "MsgSignature", "Nonce"}),
        )

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))
