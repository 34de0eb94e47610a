import pytest
from aiohttp.test_utils import TestServer

from nlu.catalog import CatalogFile
from sandbox.app import create_app


@pytest.fixture
def sandbox_env(tokens):
    return tokens


@pytest.fixture
async def sandbox(tokens):
    """The real sandbox app on a loopback port, with the catalogue's endpoints pointing at it."""
    catalog = CatalogFile(env=tokens).get()
    server = TestServer(create_app(catalog, control_token="control"), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    env = {**tokens, "SANDBOX_URL": base, "AGENCY_TAMIN_URL": f"{base}/tamin", "AGENCY_SABT_URL": f"{base}/sabt",
           "AGENCY_POLICE_URL": f"{base}/police", "IDENTITY_URL": f"{base}/identity", "SMS_URL": f"{base}/sms"}
    yield base, CatalogFile(env=env).get()
    await server.close()
