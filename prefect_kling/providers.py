"""Where Kling is reached: the official API (two regions) or a gateway such as CometAPI.

A provider decides the host, the path prefix and the keys it takes. Limits that
differ between providers (prompt lengths, image counts, model names) live in
`prefect_kling.capabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Provider(StrEnum):
    """How Kling is reached.

    Attributes:
        KLING: Kling's official API, authenticated with a Kling API key sent as a bearer
            key (every model, both API standards), or with a JWT minted from an access
            key and a secret key (the legacy `/v1` standard only).
        COMETAPI: The CometAPI gateway, authenticated with its own bearer API key.
    """

    KLING = "kling"
    COMETAPI = "cometapi"


class Region(StrEnum):
    """Regions of Kling's official API."""

    GLOBAL = "global"
    CHINA = "china"


@dataclass(frozen=True)
class ProviderPreset:
    """The fixed facts of one provider.

    Attributes:
        provider: The provider.
        base_urls: Host per region (a gateway has one host for every region).
        prefix: Path prefix of the generation endpoints, e.g. `/v1`.
        account_prefix: Path prefix of the account endpoints (no `/v1` on Kling).
        accepts_access_keys: Whether access and secret keys (a JWT minted from them)
            are accepted besides an API key; a provider without them takes an API key
            only.
    """

    provider: Provider
    base_urls: dict[Region, str]
    prefix: str
    account_prefix: str
    accepts_access_keys: bool

    def base_url(self, region: Region = Region.GLOBAL) -> str:
        """The host for a region, falling back to the global host."""
        return self.base_urls.get(region, self.base_urls[Region.GLOBAL])


PRESETS: dict[Provider, ProviderPreset] = {
    Provider.KLING: ProviderPreset(
        provider=Provider.KLING,
        base_urls={
            Region.GLOBAL: "https://api-singapore.klingai.com",
            Region.CHINA: "https://api-beijing.klingai.com",
        },
        prefix="/v1",
        account_prefix="",
        accepts_access_keys=True,
    ),
    Provider.COMETAPI: ProviderPreset(
        provider=Provider.COMETAPI,
        base_urls={Region.GLOBAL: "https://api.cometapi.com"},
        prefix="/kling/v1",
        account_prefix="/kling",
        accepts_access_keys=False,
    ),
}
