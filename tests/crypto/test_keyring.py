"""Key ring: generation, the key file, CASEAPP_KEYS, Flask start-up."""
from __future__ import annotations

import base64
import json
import os
import stat

import pytest
from flask import Flask

from caseapp.crypto import (
    KeyFileInsecure,
    KeyProvider,
    KeyRing,
    KeyRingError,
    KeysMissing,
    UnknownKeyVersion,
    add_kek_version,
    current_keyring,
    init_app,
    key_scope,
    load_keyring,
    new_data_key,
    unlock,
    write_keyfile,
)
from caseapp.crypto.integration import reload_keyring

from .conftest import SampleCase, grant_for, tdb


def secrets_of(ring: KeyRing) -> list[bytes]:
    out = [ring.blind_index_key, ring.audit_mac_key]
    out += [ring._keks[v] for v in ring.versions]
    return out


def test_generate_and_shape():
    ring = KeyRing.generate()
    assert ring.versions == (1,) and ring.current_version == 1 and ring.retired == frozenset()
    assert len(ring.blind_index_key) == 32 and len(ring.audit_mac_key) == 32
    assert ring.blind_index_key != ring.audit_mac_key
    sig = ring.audit_signing_key.sign(b"checkpoint")
    ring.audit_verify_key.verify(sig, b"checkpoint")
    assert isinstance(ring, KeyProvider)


def test_repr_shows_versions_only():
    ring = add_kek_version(KeyRing.generate())
    text = repr(ring) + str(ring) + f"{ring}"
    assert text.count("KeyRing(versions=[1, 2], current=2, retired=[])") == 3
    for secret in secrets_of(ring):
        for form in (secret.hex(), base64.b64encode(secret).decode(), repr(secret)):
            assert form not in text


def test_json_round_trip_and_versions():
    ring = add_kek_version(add_kek_version(KeyRing.generate()))
    assert ring.versions == (1, 2, 3) and ring.current_version == 3
    retired = ring.without_version(1)
    assert retired.versions == (2, 3) and retired.retired == {1}
    again = KeyRing.from_json(retired.to_json())
    assert again == retired
    assert add_kek_version(retired).current_version == 4  # retired numbers are not reused
    with pytest.raises(KeyRingError):
        retired.without_version(3)  # current
    with pytest.raises(UnknownKeyVersion):
        retired.unwrap(b"\x01" + bytes(60), data_key_id="00000000-0000-4000-8000-000000000000",
                       version=1)


def test_key_file_is_written_atomically_with_mode_0600(tmp_path):
    ring = KeyRing.generate()
    path = tmp_path / "instance" / "keys.json"
    os.umask(0o022)
    write_keyfile(str(path), ring)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring(str(path.parent), environ={}) == ring
    assert [p.name for p in path.parent.iterdir()] == ["keys.json"]  # no temp file left
    ring2 = add_kek_version(ring)
    write_keyfile(str(path), ring2)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring(str(path.parent), environ={}) == ring2


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_refuses_a_key_file_readable_by_others(tmp_path, mode):
    write_keyfile(str(tmp_path / "keys.json"), KeyRing.generate())
    os.chmod(tmp_path / "keys.json", mode)
    with pytest.raises(KeyFileInsecure, match=f"mode {mode:04o}.*chmod 600"):
        load_keyring(str(tmp_path), environ={})


def test_refuses_a_symlinked_key_file(tmp_path):
    write_keyfile(str(tmp_path / "real.json"), KeyRing.generate())
    (tmp_path / "inst").mkdir()
    os.symlink(tmp_path / "real.json", tmp_path / "inst" / "keys.json")
    with pytest.raises(KeyRingError):
        load_keyring(str(tmp_path / "inst"), environ={})


def test_missing_keys_say_what_to_do(tmp_path):
    with pytest.raises(KeysMissing) as err:
        load_keyring(str(tmp_path), environ={})
    assert "caseapp keys init" in str(err.value)
    assert "CASEAPP_KEYS" in str(err.value)


def test_env_variable_wins_over_the_file(tmp_path):
    file_ring, env_ring = KeyRing.generate(), KeyRing.generate()
    write_keyfile(str(tmp_path / "keys.json"), file_ring)
    env = {"CASEAPP_KEYS": env_ring.to_env()}
    assert load_keyring(str(tmp_path), environ=env) == env_ring
    assert base64.b64decode(env_ring.to_env()) == env_ring.to_json().encode()
    # also without a file at all
    assert load_keyring(str(tmp_path / "nowhere"), environ=env) == env_ring


def test_malformed_keys_never_echo_content(tmp_path):
    secret = base64.b64encode(b"k" * 32).decode()
    bad = json.dumps({"format": "caseapp-keys/1", "kek_versions": {"1": secret},
                      "current_version": 1, "blind_index_key": "short"})
    for env in ({"CASEAPP_KEYS": base64.b64encode(bad.encode()).decode()},
                {"CASEAPP_KEYS": "!!!not-base64" + secret}):
        with pytest.raises(KeyRingError) as err:
            load_keyring(str(tmp_path), environ=env)
        assert secret not in str(err.value) and "short" not in str(err.value)
    wrong_length = json.loads(KeyRing.generate().to_json())
    wrong_length["kek_versions"]["1"] = base64.b64encode(b"x" * 16).decode()
    with pytest.raises(KeyRingError, match="32 bytes"):
        KeyRing.from_json(json.dumps(wrong_length))


def test_init_app_fails_at_start_up_without_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("CASEAPP_KEYS", raising=False)
    app = Flask(__name__, instance_path=str(tmp_path))
    with pytest.raises(KeysMissing, match="caseapp keys init"):
        init_app(app)
    lenient = Flask(__name__, instance_path=str(tmp_path))
    init_app(lenient, require_keys=False)
    with lenient.app_context(), pytest.raises(KeysMissing):
        current_keyring()


def test_init_app_loads_the_instance_key_file(tmp_path, monkeypatch):
    monkeypatch.delenv("CASEAPP_KEYS", raising=False)
    ring = KeyRing.generate()
    write_keyfile(str(tmp_path / "keys.json"), ring)
    app = Flask(__name__, instance_path=str(tmp_path))
    init_app(app)
    assert app.extensions["caseapp_keys"] == ring
    with app.app_context():
        assert current_keyring() == ring


def test_init_app_from_env(tmp_path, monkeypatch):
    ring = KeyRing.generate()
    monkeypatch.setenv("CASEAPP_KEYS", ring.to_env())
    app = Flask(__name__, instance_path=str(tmp_path))
    init_app(app)
    assert app.extensions["caseapp_keys"] == ring


def test_injected_keyring_must_be_a_keyring(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["CASEAPP_KEYRING"] = {"1": "nope"}
    with pytest.raises(KeyRingError):
        init_app(app)


def test_process_picks_up_a_version_added_elsewhere(tmp_path, monkeypatch):
    """A process started before `keys rotate` reloads the key file on an unknown version."""
    monkeypatch.delenv("CASEAPP_KEYS", raising=False)
    old = KeyRing.generate()
    write_keyfile(str(tmp_path / "keys.json"), old)
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'r.db'}"
    tdb.init_app(app)
    init_app(app)
    new = add_kek_version(old)
    with app.app_context():
        tdb.create_all()
        with key_scope(new):  # another process, already on version 2
            case = SampleCase()
            new_data_key(tdb.session, case)
            case.child_name = "An"
            tdb.session.add(case)
            tdb.session.commit()
            case_id = case.id
        write_keyfile(str(tmp_path / "keys.json"), new)
        tdb.session.expunge_all()
        with key_scope():  # this process still holds the old ring
            case = tdb.session.get(SampleCase, case_id)
            unlock(case, grant=grant_for(case))
            assert case.child_name == "An"
        assert current_keyring() == new
        assert reload_keyring(app) == new
        tdb.session.remove()
        tdb.engine.dispose()


def test_an_external_provider_plugs_in(session, keyring):
    """The KeyProvider seam: a stand-in for a KMS that wraps and unwraps remotely."""
    class FakeKms:
        current_version = 9

        def __init__(self):
            self.calls: list[str] = []

        def has_version(self, version):
            return version == 9

        def wrap(self, dek, *, data_key_id, version=None):
            self.calls.append("wrap")
            return 9, keyring.wrap(dek, data_key_id=data_key_id)[1]

        def unwrap(self, wrapped, *, data_key_id, version):
            self.calls.append("unwrap")
            return keyring.unwrap(wrapped, data_key_id=data_key_id, version=1)

    kms = FakeKms()
    assert isinstance(kms, KeyProvider)
    with key_scope(kms):
        case = SampleCase()
        new_data_key(session, case)
        case.child_name = "via KMS"
        session.add(case)
        session.commit()
        case_id = case.id
    session.expunge_all()
    with key_scope(kms):
        case = session.get(SampleCase, case_id)
        unlock(case, grant=grant_for(case))
        assert case.child_name == "via KMS"
        assert case.data_key_version == 9
    assert kms.calls == ["wrap", "unwrap"]
