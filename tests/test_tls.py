"""An https:// backend (issue 15): the certificate is always checked. A self-signed one (a CA
the device does not know) pauses sync with one sentence, sends nothing and keeps every scan;
with its CA given as `ca_file` the same backend syncs; an unreadable CA file is said too. The
server is the real backend over TLS on loopback, its certificate made by trustme."""

from __future__ import annotations

import pytest
import trustme

from picker_app.backend.app import ServerThread
from picker_app.config import load_settings
from picker_app.domain.events import OutOfStockFlagged
from picker_app.store.db import LocalStore
from picker_app.sync.client import SyncClient, SyncPaused, SyncSettings
from tests.appkit import STORE


@pytest.fixture
def tls_backend(rig, tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file, ca_file = (tmp_path / n for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    server = ServerThread(rig.backend, tls=(str(cert_file), str(key_file)))
    yield server, str(ca_file)
    server.stop()


def device(rig, tmp_path, url: str, ca_file: str | None) -> tuple[LocalStore, SyncClient]:
    store = LocalStore.open(tmp_path / "tls-device.db", device="tls-1")
    token = rig.backend.add_device(STORE, "tls-1")
    return store, SyncClient(store, SyncSettings(url, STORE, token, ca_file=ca_file))


def test_a_self_signed_backend_is_refused_and_nothing_is_lost(rig, tmp_path, tls_backend):
    server, _ = tls_backend
    assert server.url.startswith("https://127.0.0.1:")
    store, client = device(rig, tmp_path, server.url, None)
    try:
        with store.write():
            store.record(OutOfStockFlagged(sku="SKU-000001", bin="A07-2", qty_found=0))
        with pytest.raises(SyncPaused) as err:
            client.upload_all()
        said = str(err.value)
        assert said.startswith(f"the backend's certificate at {server.url} is not trusted (")
        assert said.endswith("give its CA as `ca_file` in the settings (PICKER_APP_CA_FILE); "
                             "nothing was sent, scans are kept")  # fmt: skip
        assert store.counts()["pending"] == 1
    finally:
        store.close()


def test_with_its_ca_file_the_same_backend_syncs(rig, tmp_path, tls_backend):
    server, ca_file = tls_backend
    store, client = device(rig, tmp_path, server.url, ca_file)
    try:
        client.download_changes()
        with store.write():
            store.record(OutOfStockFlagged(sku="SKU-000001", bin="A07-2", qty_found=0))
        assert client.upload_all().applied == 1
        assert store.counts()["pending"] == 0
    finally:
        store.close()


def test_an_unreadable_ca_file_is_said(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(SyncPaused) as err:
        SyncClient(None, SyncSettings("https://127.0.0.1:1", STORE, "t", ca_file=str(bad)))
    assert f"the CA file {str(bad)!r} cannot be read as PEM certificates" in str(err.value)


def test_the_ca_file_is_a_setting_and_an_environment_variable(tmp_path):
    settings = load_settings({"PICKER_APP_CONFIG": str(tmp_path / "none.toml"),
                              "PICKER_APP_CA_FILE": "/etc/store-ca.pem"})  # fmt: skip
    assert str(settings.ca_file) == "/etc/store-ca.pem"
