"""Local HTTP servers that follow the channels' documented contracts (FORMATS.md §4–5).

They check what the real services check (the access token, the request signature, the request
shape) and answer as the docs say, including error codes. Tests script failures with `fail`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from siyu.engage.channels import aliyun

Answer = tuple[int, dict[str, Any]]
CHINA = ZoneInfo("Asia/Shanghai")


class LocalServer:
    """A threaded 127.0.0.1 server calling `self.handle(method, path, query, body)`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.scripted: list[Answer | None] = []  # next answers, None = behave normally
        self.delay = 0.0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def fail(self, *answers: Answer) -> None:
        """The next requests get these answers instead of the normal ones."""
        self.scripted.extend(answers)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        raise NotImplementedError

    def _dispatch(self, method: str, raw_path: str, body: bytes) -> Answer:
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.calls.append((method, parts.path, query, body))
            scripted = self.scripted.pop(0) if self.scripted else None
        if self.delay:
            time.sleep(self.delay)
        if scripted is not None:
            return scripted
        return self.handle(method, parts.path, query, body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()  # headers and body go in separate writes: no Nagle delay
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                self._serve("GET", b"")

            def do_POST(self) -> None:
                self._serve("POST", self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def _serve(self, method: str, body: bytes) -> None:
                status, answer = owner._dispatch(method, self.path, body)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


class FakeWecom(LocalServer):
    """qyapi.weixin.qq.com/cgi-bin/ for the externalcontact calls siyu makes (doc 92135…)."""

    def __init__(self, corpid: str, secret: str) -> None:
        super().__init__()
        self.corpid, self.secret = corpid, secret
        self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
        self.tasks: dict[str, dict[str, Any]] = {}
        self.results: dict[str, dict[str, int]] = {}  # msgid -> recipient -> status
        self.reminders: dict[str, list[float]] = {}
        self.welcome_codes: dict[str, float] = {}  # code -> issued at (wall clock)
        self.welcomes_sent: list[dict[str, Any]] = []
        self.token_lifetime = 7200.0

    @property
    def base_url(self) -> str:
        return super().base_url + "cgi-bin/"

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        name = path.removeprefix("/cgi-bin/")
        if name == "gettoken":
            if query.get("corpid") != self.corpid or query.get("corpsecret") != self.secret:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            token = f"TOKEN{len(self.tokens)}"
            self.tokens[token] = time.monotonic() + self.token_lifetime
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        token = query.get("access_token", "")
        if token not in self.tokens:
            return 200, {"errcode": 40014, "errmsg": "invalid access_token"}
        if self.tokens[token] < time.monotonic():
            return 200, {"errcode": 42001, "errmsg": "access_token expired"}
        if method != "POST":
            return 200, {"errcode": 40071, "errmsg": "method not allowed here"}
        handler: Callable[[dict[str, Any]], Answer] = getattr(
            self, "_" + name.replace("externalcontact/", ""), self._unknown
        )
        return handler(json.loads(body))

    def _unknown(self, body: dict[str, Any]) -> Answer:
        return 404, {"errcode": 404, "errmsg": "not found"}

    def _add_msg_template(self, body: dict[str, Any]) -> Answer:
        group = body.get("chat_type") == "group"
        recipients = body.get("chat_id_list" if group else "external_userid", [])
        content = body.get("text", {}).get("content")
        if not body.get("sender") or not recipients or not content:
            return 200, {"errcode": 41048, "errmsg": "missing sender, recipients or text"}
        if len(recipients) > (2000 if group else 10_000):
            return 200, {"errcode": 41050, "errmsg": "too many recipients"}
        msgid = f"msg{len(self.tasks) + 1}"
        failed = [r for r in recipients if r.startswith("wmBAD")]
        self.tasks[msgid] = body
        self.results[msgid] = {r: 0 for r in recipients if r not in failed}
        return 200, {"errcode": 0, "errmsg": "ok", "fail_list": failed, "msgid": msgid}

    def _get_groupmsg_send_result(self, body: dict[str, Any]) -> Answer:
        msgid = body.get("msgid")
        if msgid not in self.tasks or body.get("userid") != self.tasks[msgid]["sender"]:
            return 200, {"errcode": 41062, "errmsg": "unknown msgid or userid"}
        group = self.tasks[msgid].get("chat_type") == "group"
        key = "chat_id" if group else "external_userid"
        rows = [
            {key: r, "userid": body["userid"], "status": s, "send_time": 1_700_000_000}
            for r, s in self.results[msgid].items()
        ]
        start = int(body.get("cursor") or 0)
        limit = int(body.get("limit", 500))
        page = rows[start : start + limit]
        following = str(start + limit) if start + limit < len(rows) else ""
        return 200, {"errcode": 0, "errmsg": "ok", "send_list": page, "next_cursor": following}

    def _remind_groupmsg_send(self, body: dict[str, Any]) -> Answer:
        msgid = body.get("msgid", "")
        recent = [t for t in self.reminders.get(msgid, []) if time.time() - t < 86_400]
        if len(recent) >= 3:
            return 200, {"errcode": 45009, "errmsg": "reminder limit: 3 per 24 h"}
        self.reminders[msgid] = [*recent, time.time()]
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _send_welcome_msg(self, body: dict[str, Any]) -> Answer:
        code = body.get("welcome_code", "")
        issued = self.welcome_codes.pop(code, None)
        if issued is None or time.time() - issued > 20:
            return 200, {"errcode": 41051, "errmsg": "welcome_code used, expired or unknown"}
        self.welcomes_sent.append(body)
        return 200, {"errcode": 0, "errmsg": "ok"}


class FakeSms(LocalServer):
    """dysmsapi.aliyuncs.com SendSms and QuerySendDetails: RPC signature V1 checked like the
    service does. A send waits for its receipt (SendStatus 1) until a test calls `report`."""

    COMMON = (
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "Signature",
    )
    REQUIRED: ClassVar[dict[str, tuple[str, ...]]] = {
        "SendSms": (*COMMON, "PhoneNumbers", "SignName", "TemplateCode"),
        "QuerySendDetails": (*COMMON, "PhoneNumber", "SendDate", "PageSize", "CurrentPage"),
    }

    def __init__(self, access_key_id: str, secret: str) -> None:
        super().__init__()
        self.access_key_id, self.secret = access_key_id, secret
        self.nonces: set[str] = set()
        self.sent: list[dict[str, str]] = []
        self.receipts: dict[str, tuple[int, str, str]] = {}  # BizId -> status, code, at
        self.queries: list[dict[str, str]] = []

    def report(self, biz_id: str, status: int, code: str, at: str = "2026-03-02 10:00:05") -> None:
        """The carrier's receipt for one send: status 2 failed, 3 delivered."""
        self.receipts[biz_id] = (status, code, at)

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Answer:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()} if method == "POST" else query
        action = form.get("Action", "")
        if action not in self.REQUIRED or form.get("Version") != "2017-05-25":
            return 400, {"Code": "InvalidAction", "Message": "unsupported action"}
        missing = [name for name in self.REQUIRED[action] if name not in form]
        if missing:
            return 400, {"Code": "MissingParameter", "Message": f"missing {missing[0]}"}
        if form["AccessKeyId"] != self.access_key_id:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
            }
        expected = aliyun.signature(method, form, self.secret)
        if form["Signature"] != expected:
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
            }
        if form["SignatureNonce"] in self.nonces:
            return 400, {
                "Code": "SignatureNonceUsed",
                "Message": "Specified signature nonce was used already.",
            }
        self.nonces.add(form["SignatureNonce"])
        if action == "QuerySendDetails":
            return self._query(form)
        if not form["PhoneNumbers"].lstrip("+").isdigit():
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        json.loads(form.get("TemplateParam", "{}"))
        self.sent.append(form)
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": f"{len(self.sent)}^0",
            "RequestId": "R",
        }

    def _query(self, form: dict[str, str]) -> Answer:
        """The sends to one 11-digit number on one China-time date (and BizId, if given)."""
        self.queries.append(form)
        if not (form["PhoneNumber"].isdigit() and len(form["PhoneNumber"]) == 11):
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        details = []
        for number, sent in enumerate(self.sent, start=1):
            biz_id = f"{number}^0"
            stamp = datetime.strptime(sent["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            if (
                not sent["PhoneNumbers"].endswith(form["PhoneNumber"])
                or stamp.astimezone(CHINA).strftime("%Y%m%d") != form["SendDate"]
                or form.get("BizId", biz_id) != biz_id
            ):
                continue
            status, code, at = self.receipts.get(biz_id, (1, "", ""))
            details.append(
                {
                    "PhoneNum": form["PhoneNumber"],
                    "SendStatus": status,
                    "ErrCode": code,
                    "TemplateCode": sent["TemplateCode"],
                    "Content": "【" + sent["SignName"] + "】…",
                    "SendDate": stamp.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                    "ReceiveDate": at if status != 1 else "",
                    "OutId": sent.get("OutId", ""),
                }
            )
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "RequestId": "R",
            "TotalCount": len(details),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
        }
