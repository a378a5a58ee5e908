"""A reviewer's browser over real HTTP, for tests of a webapp served on a real port."""
from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A reviewer's browser over real HTTP: cookies, the login form, the CSRF token."""

    def __init__(self, base: str, password: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.post("/login", {"password": password, "csrf_token": self.form_token()})
        self.csrf = self.form_token()  # logging in gives a new one

    def form_token(self) -> str:
        return CSRF_FIELD.search(self.get("/login")[1]).group(1)

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def get_json(self, path: str):
        status, body = self.get(path)
        assert status == 200, body
        return json.loads(body)

    def post(self, path: str, form: dict[str, str], accept: str = "text/html") -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode()
        return self._open(urllib.request.Request(self.base + path, data=data, headers={"Accept": accept}))

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
