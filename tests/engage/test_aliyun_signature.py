"""Alibaba Cloud RPC signature V1 against the documented examples."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from siyu.engage.channels.aliyun import (
    canonical_query,
    percent_encode,
    signature,
    string_to_sign,
)

# The SendSms example of Alibaba Cloud's SMS "HTTP protocol and signature" page (dysmsapi
# 2017-05-25): AccessKeyId testId, AccessKeySecret testSecret, GET.
SMS_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
SMS_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
    "%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF"
    "%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D"
    "45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3D"
    "SMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
# The DescribeRegions example of the RPC signature page (doc 157269): testid / testsecret.
RPC_EXAMPLE = {
    "Format": "XML",
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Version": "2014-05-26",
    "Timestamp": "2016-02-23T12:46:24Z",
}


def test_string_to_sign_matches_the_sms_documentation() -> None:
    assert string_to_sign("GET", SMS_EXAMPLE) == SMS_STRING_TO_SIGN


def test_signature_matches_the_sms_documentation() -> None:
    assert signature("GET", SMS_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_signature_matches_the_rpc_documentation() -> None:
    assert signature("GET", RPC_EXAMPLE, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_follows_rfc_3986_as_documented() -> None:
    assert percent_encode("a b*c~d-_.") == "a%20b%2Ac~d-_."
    assert percent_encode("阿") == "%E9%98%BF"


def test_an_existing_signature_parameter_is_not_signed() -> None:
    assert canonical_query({**SMS_EXAMPLE, "Signature": "x"}) == canonical_query(SMS_EXAMPLE)


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=12), max_size=6))
def test_signing_is_independent_of_parameter_order(params: dict[str, str]) -> None:
    reordered = dict(reversed(list(params.items())))
    assert signature("POST", params, "s") == signature("POST", reordered, "s")


@given(st.text(max_size=40))
def test_encoded_values_hold_only_unreserved_characters_and_escapes(value: str) -> None:
    encoded = percent_encode(value)
    assert all(c.isascii() and (c.isalnum() or c in "-_.~%") for c in encoded)
