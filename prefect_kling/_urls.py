"""Checks of the URLs the package is given, in messages that never show a secret part.

Two URLs carry secrets: a callback URL holds the receiver's token in its path (and maybe a
user and password), and a base URL could hold a user and password. A refusal says what is
wrong (the scheme, a missing host, a user or password) without repeating the URL; only a
base URL's parts without the user and password are shown.

Examples:
    >>> url_problem("ftp://hooks.example.com/kling/callbacks/s3cret")
    'a URL with the scheme ftp'
    >>> url_problem("https://hooks.example.com/kling/callbacks/s3cret") is None
    True
    >>> without_userinfo("http://me:pa55@127.0.0.1:8000/x")
    'http://***@127.0.0.1:8000/x'
"""

from __future__ import annotations

from urllib.parse import urlsplit

HTTP_URL = "an http:// or https:// URL with a host"
"""What a URL setting allows, as the messages say it."""


def url_problem(url: str, *, userinfo: bool = True) -> str | None:
    """What keeps `url` from being an http(s) URL with a host, or None; shows no secret.

    Args:
        url: The URL to check.
        userinfo: Whether a user name or password in the URL is allowed.

    Examples:
        >>> [url_problem(url) for url in ("http://", "not a url", "https://h:99999")]
        ['an http:// URL with no host', 'not a URL', 'a URL with an invalid port']
        >>> url_problem("https://me:pa55@gateway.example.com", userinfo=False)
        'a URL with a user name or password'
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return "not a URL"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        written = scheme and url.strip()[len(scheme) :].startswith("://")
        return f"a URL with the scheme {scheme[:20]}" if written else "not a URL"
    if not parts.hostname:
        return f"an {scheme}:// URL with no host"
    try:
        parts.port  # noqa: B018 - read for its check
    except ValueError:
        return "a URL with an invalid port"
    if not userinfo and (parts.username or parts.password):
        return "a URL with a user name or password"
    return None


def without_userinfo(url: str) -> str:
    """`url` as it may be shown: a user name and password become `***`.

    Examples:
        >>> without_userinfo("https://gateway.example.com/kling")
        'https://gateway.example.com/kling'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()


def is_http_url(url: str) -> bool:
    """Whether `url` is an http or https URL with a host.

    Examples:
        >>> is_http_url("https://hooks.example.com/kling/callbacks/t"), is_http_url("not-a-url")
        (True, False)
    """
    return url_problem(url) is None


def secret_url_refusal(name: str, url: str) -> str | None:
    """The refusal of a URL that holds a secret (a callback URL), naming `name`, or None.

    Examples:
        >>> secret_url_refusal("KLING_CALLBACK_URL", "http://")
        'KLING_CALLBACK_URL: an http:// URL with no host; allowed: an http:// or https:// URL with a host'
    """  # noqa: E501
    problem = url_problem(url)
    return None if problem is None else f"{name}: {problem}; allowed: {HTTP_URL}"


def base_url_refusal(name: str, url: str) -> str | None:
    """The refusal of a base URL, naming `name` and showing it without user or password.

    Examples:
        >>> base_url_refusal("base_url", "http://me:pa55@gateway.example.com")
        "base_url: 'http://***@gateway.example.com' is a URL with a user name or password; allowed: an http:// or https:// URL with a host, without a user name or password"
    """  # noqa: E501
    problem = url_problem(url, userinfo=False)
    if problem is None:
        return None
    shown = without_userinfo(url)
    return f"{name}: {shown!r} is {problem}; allowed: {HTTP_URL}, without a user name or password"
