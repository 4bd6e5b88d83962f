"""Plain HTTP against a running server: one exchange, cookies, admin forms and the admin login."""

import http.cookies
import re
from urllib.parse import urlencode

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def exchange(connection, method, path, *, body=None, headers=None):
    """Send one request on an http.client connection; return (status, headers, body)."""
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.headers, response.read()


def response_cookies(headers):
    """Return the cookies response headers set, as {name: value}; none for no answer (None)."""
    jar = http.cookies.SimpleCookie()
    for header in (headers.get_all("Set-Cookie") if headers is not None else None) or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def cookie_header(cookies):
    """Return the Cookie header that sends {name: value} back."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def post_form(send, path, fields, *, cookies, token):
    """POST fields as a form with the CSRF token and the cookies; return what send() returns."""
    headers = {"Cookie": cookie_header(cookies), "Content-Type": "application/x-www-form-urlencoded"}
    body = urlencode({"csrfmiddlewaretoken": token, **fields}, doseq=True)
    return send("POST", path, body=body, headers=headers)


def admin_login(send, username, password):
    """Log in through the admin's form; return (status, cookies): 302 means logged in.

    send(method, path, body=, headers=) makes one request and returns (status, headers, body):
    exchange() on a connection, or a wrapper that also records each request (the drill's).
    """
    status, headers, page = send("GET", "/admin/login/")
    token = CSRF_INPUT.search(page)
    if status != 200 or not token:
        return status, {}
    cookies = response_cookies(headers)
    fields = {"username": username, "password": password, "next": "/admin/"}
    path = "/admin/login/?next=/admin/"
    status, headers, _ = post_form(send, path, fields, cookies=cookies, token=token.group(1).decode())
    return status, {**cookies, **response_cookies(headers)}
