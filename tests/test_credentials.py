import httpx
import pytest
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from pydantic import SecretStr, ValidationError

from prefect_kling import KlingCredentials
from prefect_kling._auth import BearerKeyAuth, KlingJWTAuth
from prefect_kling.exceptions import KlingConfigurationError
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY


class TestKlingCredentialsBlock(BlockStandardTestSuite):
    @pytest.fixture
    def block(self):
        return KlingCredentials

    def test_has_a_valid_image(self, block):
        """No logo URL, so nothing the UI must fetch from the internet: it shows its block icon.

        (Prefect's suite asks for a logo URL; the UI's fallback is what an offline server shows.)
        """
        assert block._logo_url is None
        assert block._to_block_type().logo_url is None


@pytest.mark.parametrize(
    ("options", "base_url"),
    [
        ({}, "https://api-singapore.klingai.com/v1"),
        ({"region": "china"}, "https://api-beijing.klingai.com/v1"),
        ({"base_url": "http://127.0.0.1:9/"}, "http://127.0.0.1:9/v1"),
    ],
)
def test_kling_provider_urls(options, base_url):
    creds = KlingCredentials(access_key=ACCESS_KEY, secret_key=SECRET_KEY, **options)
    assert creds.api_base_url == base_url
    assert isinstance(creds.auth(), KlingJWTAuth)


def test_cometapi_provider_url_and_bearer():
    creds = KlingCredentials(provider="cometapi", api_key=API_KEY)
    assert creds.api_base_url == "https://api.cometapi.com/kling/v1"
    assert isinstance(creds.auth(), BearerKeyAuth)
    assert creds.auth() is creds.auth()


def test_half_a_key_pair_is_refused_naming_the_missing_key():
    with pytest.raises(ValueError, match="secret_key is missing") as refused:
        KlingCredentials(access_key=ACCESS_KEY)
    assert ACCESS_KEY not in str(refused.value)  # pydantic would show the input


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"base_url": "not-a-url"}, "base_url: 'not-a-url' is not a URL; allowed: an http://"),
        (
            {"callback_url": "ftp://hooks.example.com/t0ken"},
            "callback_url: a URL with the scheme ftp; allowed: an http:// or https://",
        ),
    ],
)
def test_urls_that_are_no_http_urls_are_refused_without_the_secrets(options, message):
    with pytest.raises(ValueError, match=message) as refused:
        KlingCredentials(access_key=ACCESS_KEY, secret_key=SECRET_KEY, **options)
    said = str(refused.value)
    assert ACCESS_KEY not in said and SECRET_KEY not in said and "t0ken" not in said


def test_no_keys_is_refused_when_a_client_is_made():
    with pytest.raises(KlingConfigurationError, match="access_key and secret_key"):
        KlingCredentials().auth()


def test_repr_and_dump_hide_secrets():
    creds = KlingCredentials(access_key=ACCESS_KEY, secret_key=SECRET_KEY, api_key=API_KEY)
    for text in (repr(creds), str(creds), creds.model_dump_json(), str(creds.model_dump())):
        for secret in (ACCESS_KEY, SECRET_KEY, API_KEY):
            assert secret not in text


def test_saved_block_keeps_secrets_hidden_and_loads_them_back():
    creds = KlingCredentials(provider="cometapi", api_key=API_KEY, base_url="http://127.0.0.1:1")
    creds.save("test-kling-creds", overwrite=True)
    loaded = KlingCredentials.load("test-kling-creds")
    assert loaded.api_key.get_secret_value() == API_KEY
    assert loaded.api_base_url == "http://127.0.0.1:1/kling/v1"


@pytest.mark.parametrize(
    ("env", "provider", "jwt"),
    [
        ({"KLING_ACCESS_KEY": ACCESS_KEY, "KLING_SECRET_KEY": SECRET_KEY}, "kling", True),
        ({"KLING_API_KEY": API_KEY}, "kling", False),  # Kling's own API key
        ({"KLING_PROVIDER": "cometapi", "KLING_API_KEY": API_KEY}, "cometapi", False),
        ({"KLING_PROVIDER": "CometAPI", "KLING_API_KEY": API_KEY}, "cometapi", False),
        (
            {
                "KLING_API_KEY": API_KEY,
                "KLING_ACCESS_KEY": ACCESS_KEY,
                "KLING_SECRET_KEY": SECRET_KEY,
            },
            "kling",
            False,
        ),
        (
            {
                "KLING_PROVIDER": "KLING",
                "KLING_API_KEY": API_KEY,
                "KLING_BASE_URL": "http://127.0.0.1:5",
            },
            "kling",
            False,
        ),
    ],
)
def test_from_env(env, provider, jwt):
    creds = KlingCredentials.from_env(env)
    assert creds.provider.value == provider
    assert creds.uses_jwt is jwt
    assert creds.callback_url is None


def test_an_api_key_alone_is_klings_own_sent_as_a_bearer_key():
    for creds in (
        KlingCredentials.from_env({"KLING_API_KEY": API_KEY}),
        KlingCredentials(api_key=API_KEY),
    ):
        assert creds.provider.value == "kling"
        assert creds.api_base_url == "https://api-singapore.klingai.com/v1"
        assert isinstance(creds.auth(), BearerKeyAuth)
        sent = next(creds.auth().auth_flow(httpx.Request("GET", "https://kling.test/v1/x")))
        assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    china = KlingCredentials.from_env({"KLING_API_KEY": API_KEY, "KLING_REGION": "china"})
    assert china.api_base_url == "https://api-beijing.klingai.com/v1"


@pytest.mark.parametrize(
    "env",
    [
        {"KLING_API_KEY": API_KEY, "KLING_ACCESS_KEY": ACCESS_KEY, "KLING_SECRET_KEY": SECRET_KEY},
        {
            "KLING_PROVIDER": "cometapi",
            "KLING_API_KEY": API_KEY,
            "KLING_ACCESS_KEY": ACCESS_KEY,
            "KLING_SECRET_KEY": SECRET_KEY,
        },
    ],
    ids=["kling", "cometapi"],
)
def test_given_an_api_key_and_a_key_pair_the_api_key_is_used(env):
    """Kling's API key is valid for every model; its access/secret keys on the legacy API only."""
    creds = KlingCredentials.from_env(env)
    assert creds.api_key.get_secret_value() == API_KEY
    assert creds.access_key is None and creds.secret_key is None
    assert not creds.uses_jwt
    block = KlingCredentials(
        provider=creds.provider, api_key=API_KEY, access_key=ACCESS_KEY, secret_key=SECRET_KEY
    )
    for both in (creds, block):
        assert isinstance(both.auth(), BearerKeyAuth)
        sent = next(both.auth().auth_flow(httpx.Request("GET", "https://kling.test/v1/x")))
        assert sent.headers["Authorization"] == f"Bearer {API_KEY}"
    assert not block.uses_jwt
    assert block.account == creds.account  # named after the key that signs


def test_a_gateway_given_only_klings_key_pair_is_refused_without_the_keys():
    block = KlingCredentials(provider="cometapi", access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    with pytest.raises(KlingConfigurationError, match="api_key is missing") as refused:
        block.auth()
    assert "cometapi" in str(refused.value)
    for secret in (ACCESS_KEY, SECRET_KEY):
        assert secret not in _said_by(refused.value)
    with pytest.raises(KlingConfigurationError, match="api_key is missing"):
        KlingCredentials(provider="cometapi").auth()


def test_kling_and_a_gateway_with_the_same_key_are_two_accounts():
    official = KlingCredentials(api_key=API_KEY)
    gateway = KlingCredentials(provider="cometapi", api_key=API_KEY)
    assert official.account != gateway.account
    assert KlingCredentials.from_env({"KLING_API_KEY": API_KEY}).account == official.account


def test_from_env_reads_the_callback_url_and_keeps_it_secret():
    url = "https://hooks.example.com/kling/callbacks/tok-9b1c"
    creds = KlingCredentials.from_env({"KLING_API_KEY": API_KEY, "KLING_CALLBACK_URL": url})
    assert creds.callback_url.get_secret_value() == url
    assert "tok-9b1c" not in repr(creds) + creds.model_dump_json()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "KLING_ACCESS_KEY"),
        ({}, "KLING_API_KEY is not set"),
        ({"KLING_PROVIDER": "cometapi"}, "KLING_API_KEY"),
        (
            {
                "KLING_PROVIDER": "cometapi",
                "KLING_ACCESS_KEY": ACCESS_KEY,
                "KLING_SECRET_KEY": SECRET_KEY,
            },
            r"KLING_API_KEY is not set \(needed for KLING_PROVIDER=cometapi; KLING_ACCESS_KEY",
        ),
        ({"KLING_ACCESS_KEY": ACCESS_KEY}, "KLING_SECRET_KEY"),
        ({"KLING_SECRET_KEY": SECRET_KEY}, "KLING_ACCESS_KEY"),
        ({"KLING_API_KEY": API_KEY, "KLING_ACCESS_KEY": ACCESS_KEY}, "KLING_SECRET_KEY"),
        ({"KLING_PROVIDER": "openai", "KLING_API_KEY": API_KEY}, "KLING_PROVIDER"),
        ({"KLING_REGION": "mars", "KLING_API_KEY": API_KEY}, "KLING_REGION"),
    ],
)
def test_from_env_names_the_missing_or_bad_variable(env, named):
    with pytest.raises(KlingConfigurationError, match=named) as raised:
        KlingCredentials.from_env(env)
    for secret in (ACCESS_KEY, SECRET_KEY, API_KEY):
        assert secret not in str(raised.value)


def _said_by(error: BaseException) -> str:
    """Everything a refusal can show: message, repr, pydantic's errors and JSON, the chain."""
    import pydantic

    texts = [str(error), repr(error)]
    if isinstance(error, pydantic.ValidationError):
        texts += [str(error.errors()), error.json()]
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            texts.append(_said_by(linked))
    return "\n".join(texts)


REFUSED_BLOCKS = {
    "half a key pair": {"access_key": ACCESS_KEY},
    "a bad timeout": {"api_key": API_KEY, "timeout_seconds": -1},
    "a key that is no text": {"access_key": ACCESS_KEY, "secret_key": [SECRET_KEY]},
    "an ftp base_url": {"api_key": API_KEY, "base_url": "ftp://h.test/x"},
    "an ftp callback_url": {"api_key": API_KEY, "callback_url": "ftp://h.test/tok-canary-1"},
    "an unknown provider": {"api_key": API_KEY, "provider": "openai"},
}


@pytest.mark.parametrize("fields", REFUSED_BLOCKS.values(), ids=REFUSED_BLOCKS)
def test_refused_credentials_show_no_key_in_errors_json_or_chain(fields):
    with pytest.raises(ValueError) as refused:
        KlingCredentials(**fields)
    said = _said_by(refused.value)
    for secret in (ACCESS_KEY, SECRET_KEY, API_KEY, "tok-canary-1"):
        assert secret not in said


@pytest.mark.parametrize("fields", REFUSED_BLOCKS.values(), ids=REFUSED_BLOCKS)
def test_refused_stored_credentials_show_no_key(fields):
    with pytest.raises(ValueError) as refused:
        KlingCredentials.model_validate(fields)
    said = _said_by(refused.value)
    for secret in (ACCESS_KEY, SECRET_KEY, API_KEY, "tok-canary-1"):
        assert secret not in said


def test_a_refused_assignment_shows_no_key_and_changes_nothing():
    creds = KlingCredentials(api_key=API_KEY)
    with pytest.raises(ValueError) as refused:
        creds.callback_url = "ftp://h.test/tok-canary-1"
    assert "tok-canary-1" not in _said_by(refused.value)
    assert creds.callback_url is None


def test_an_assigned_callback_url_is_kept_secret():
    creds = KlingCredentials(api_key=API_KEY)
    creds.callback_url = "https://hooks.test/kling/callbacks/tok-canary-2"
    assert isinstance(creds.callback_url, SecretStr)
    assert "tok-canary-2" not in repr(creds) + creds.model_dump_json()


def test_assigned_keys_are_used_by_the_next_client():
    creds = KlingCredentials(provider="cometapi", api_key="old-key")
    creds.auth()
    creds.api_key = API_KEY
    request = httpx.Request("GET", "https://gateway.test/x")
    flow = creds.auth().auth_flow(request)
    assert next(flow).headers["Authorization"] == f"Bearer {API_KEY}"


@pytest.mark.parametrize(
    "base_url",
    [
        "http://user:pa55-canary@gateway.test/",
        "https://pa55-canary@gateway.test",
        "ftp://user:pa55-canary@gateway.test/",
    ],
)
def test_a_base_url_with_user_or_password_is_refused_without_showing_them(base_url):
    with pytest.raises(ValueError, match="base_url") as refused:
        KlingCredentials(api_key=API_KEY, base_url=base_url)
    said = _said_by(refused.value)
    assert "pa55-canary" not in said and "user" not in said.replace("user name", "")
    assert "allowed: an http:// or https:// URL with a host" in str(refused.value)


def test_kling_base_url_with_a_password_is_refused_naming_the_variable():
    env = {"KLING_API_KEY": API_KEY, "KLING_BASE_URL": "http://me:pa55-canary@gateway.test"}
    with pytest.raises(KlingConfigurationError, match="KLING_BASE_URL") as refused:
        KlingCredentials.from_env(env)
    assert "pa55-canary" not in _said_by(refused.value)


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("KLING_CALLBACK_URL", "ftp://h/x", "the scheme ftp"),
        ("KLING_CALLBACK_URL", "http://", "no host"),
        ("KLING_CALLBACK_URL", "not a url", "not a URL"),
        ("KLING_BASE_URL", "ftp://h/x", "the scheme ftp"),
        ("KLING_BASE_URL", "http://", "no host"),
        ("KLING_BASE_URL", "not a url", "not a URL"),
    ],
)
def test_url_variables_are_named_in_their_errors(variable, value, problem):
    env = {"KLING_API_KEY": API_KEY, variable: value}
    with pytest.raises(KlingConfigurationError) as refused:
        KlingCredentials.from_env(env)
    said = str(refused.value)
    assert said.startswith(f"{variable}: ") and problem in said
    assert "allowed: an http:// or https:// URL with a host" in said
    assert "callback_url" not in said and "base_url:" not in said


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ftp://h/tok-canary-3", "the scheme ftp"),
        ("http://", "no host"),
        ("not a url", "not a URL"),
    ],
)
def test_a_callback_url_that_is_no_http_url_is_refused_saying_why(value, problem):
    with pytest.raises(ValueError) as refused:
        KlingCredentials(api_key=API_KEY, callback_url=value)
    said = str(refused.value)
    assert "callback_url: " in said and problem in said
    assert "allowed: an http:// or https:// URL with a host" in said
    assert "tok-canary-3" not in _said_by(refused.value)


def test_with_callback_url_gives_a_copy_that_keeps_it_secret():
    creds = KlingCredentials(api_key=API_KEY)
    url = "https://hooks.test/kling/callbacks/tok-canary-4"
    with_url = creds.with_callback_url(url)
    assert with_url.callback_url.get_secret_value() == url
    assert creds.callback_url is None
    assert "tok-canary-4" not in repr(with_url) + with_url.model_dump_json()
    with pytest.raises(
        KlingConfigurationError, match="callback_url: a URL with the scheme ftp"
    ) as refused:
        creds.with_callback_url("ftp://hooks.test/tok-canary-4")
    assert "tok-canary-4" not in _said_by(refused.value)


@pytest.mark.parametrize("provider", ["kling", "cometapi"])
def test_used_credentials_can_be_pickled_and_deep_copied(provider):
    import copy
    import pickle

    keys = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
    creds = KlingCredentials(
        provider=provider, **(keys if provider == "kling" else {"api_key": API_KEY})
    )
    request = httpx.Request("GET", "https://gateway.test/x")
    before = next(creds.auth().auth_flow(request)).headers["Authorization"]

    for again in (pickle.loads(pickle.dumps(creds)), copy.deepcopy(creds)):
        assert again.model_dump() == creds.model_dump()
        assert again.api_base_url == creds.api_base_url
        sent = next(again.auth().auth_flow(httpx.Request("GET", "https://gateway.test/x")))
        assert sent.headers["Authorization"].startswith("Bearer ")
        if provider == "cometapi":
            assert sent.headers["Authorization"] == before


def test_each_account_names_its_own_concurrency_limits_without_showing_its_key():
    official = KlingCredentials(access_key=ACCESS_KEY, secret_key=SECRET_KEY)
    gateway = KlingCredentials(provider="cometapi", api_key=API_KEY)
    other_key = KlingCredentials(provider="cometapi", api_key=API_KEY + "-2")
    assert len({official.account, gateway.account, other_key.account}) == 3
    assert official.account == KlingCredentials(access_key=ACCESS_KEY, secret_key="x").account
    for credentials in (official, gateway, other_key):
        assert len(credentials.account) == 8
        assert credentials.account not in (ACCESS_KEY + SECRET_KEY + API_KEY)
    shared = {"concurrency_key": "studio"}
    assert (
        KlingCredentials(access_key=ACCESS_KEY, secret_key=SECRET_KEY, **shared).account
        == KlingCredentials(provider="cometapi", api_key=API_KEY, **shared).account
        == "studio"
    )


@pytest.mark.parametrize("key", ["", "Studio", "a b", "x" * 41, "-lead"])
def test_a_concurrency_key_that_cannot_name_a_limit_is_refused(key):
    with pytest.raises(ValidationError, match="concurrency_key"):
        KlingCredentials(provider="cometapi", api_key=API_KEY, concurrency_key=key)
    environment = {"KLING_API_KEY": API_KEY, "KLING_CONCURRENCY_KEY": key}
    if key:
        with pytest.raises(KlingConfigurationError, match="KLING_CONCURRENCY_KEY="):
            KlingCredentials.from_env(environment)
