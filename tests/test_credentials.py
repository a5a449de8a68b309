import pytest
from prefect.testing.standard_test_suites import BlockStandardTestSuite

from prefect_kling import KlingCredentials
from prefect_kling._auth import BearerKeyAuth, KlingJWTAuth
from prefect_kling.exceptions import KlingConfigurationError
from tests.conftest import ACCESS_KEY, API_KEY, SECRET_KEY

LOGO = __import__("pathlib").Path(__file__).parents[1] / "docs" / "assets" / "logo.png"


class TestKlingCredentialsBlock(BlockStandardTestSuite):
    @pytest.fixture
    def block(self):
        return KlingCredentials

    @pytest.fixture(autouse=True)
    def serve_logo_offline(self, monkeypatch):
        """The suite downloads the logo; serve the file that the logo URL publishes."""
        import io

        from prefect.testing.standard_test_suites import blocks

        def urlopen(url):
            assert url == str(KlingCredentials._logo_url)
            return io.BytesIO(LOGO.read_bytes())

        monkeypatch.setattr(blocks, "urlopen", urlopen)


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
        ({"base_url": "not-a-url"}, "base_url: 'not-a-url'; allowed: an http:// or https://"),
        ({"callback_url": "ftp://hooks.example.com/t0ken"}, "callback_url: not a URL; allowed"),
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
        ({"KLING_API_KEY": API_KEY}, "cometapi", False),
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


def test_from_env_reads_the_callback_url_and_keeps_it_secret():
    url = "https://hooks.example.com/kling/callbacks/tok-9b1c"
    creds = KlingCredentials.from_env({"KLING_API_KEY": API_KEY, "KLING_CALLBACK_URL": url})
    assert creds.callback_url.get_secret_value() == url
    assert "tok-9b1c" not in repr(creds) + creds.model_dump_json()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "KLING_ACCESS_KEY"),
        ({"KLING_PROVIDER": "cometapi"}, "KLING_API_KEY"),
        ({"KLING_ACCESS_KEY": ACCESS_KEY}, "KLING_SECRET_KEY"),
        ({"KLING_SECRET_KEY": SECRET_KEY}, "KLING_ACCESS_KEY"),
        ({"KLING_PROVIDER": "openai", "KLING_API_KEY": API_KEY}, "KLING_PROVIDER"),
        ({"KLING_REGION": "mars", "KLING_API_KEY": API_KEY}, "KLING_REGION"),
    ],
)
def test_from_env_names_the_missing_or_bad_variable(env, named):
    with pytest.raises(KlingConfigurationError, match=named) as raised:
        KlingCredentials.from_env(env)
    for secret in (ACCESS_KEY, SECRET_KEY, API_KEY):
        assert secret not in str(raised.value)
