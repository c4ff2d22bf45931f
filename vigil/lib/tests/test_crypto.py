import io

import pytest

from vigil.lib import crypto


@pytest.fixture(autouse=True)
def _key(settings):
    settings.FIELD_KEY = "test master key"


def test_it_round_trips_a_field_with_a_fresh_nonce():
    a, b = crypto.encrypt_field("123456789"), crypto.encrypt_field("123456789")
    assert a != b
    assert crypto.decrypt_field(a) == "123456789"


def test_it_refuses_a_field_under_another_key(settings):
    blob = crypto.encrypt_field("4111111111111111")
    settings.FIELD_KEY = "another key"
    crypto._derive.cache_clear()
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_field(blob)


def test_it_matches_equal_values_by_keyed_hash_per_kind():
    assert crypto.keyed_hash("ssn", "123456789") == crypto.keyed_hash("ssn", "123456789")
    assert crypto.keyed_hash("ssn", "123456789") != crypto.keyed_hash("card", "123456789")
    assert "123456789" not in crypto.keyed_hash("ssn", "123456789")


def test_it_masks_all_but_the_last_four():
    assert crypto.mask("ssn", "123456789") == "***-**-6789"
    assert crypto.mask("card", "4111111111111111") == "**** **** **** 1111"


@pytest.mark.parametrize("size", [0, 10, crypto.CHUNK, crypto.CHUNK * 2 + 7])
def test_it_seals_and_opens_files(tmp_path, size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    wrapped = crypto.seal_file(io.BytesIO(data), tmp_path / "f.bin")
    assert data[:64] not in (tmp_path / "f.bin").read_bytes() or size == 0
    assert crypto.open_sealed(tmp_path / "f.bin", wrapped) == data


def test_it_detects_truncation_and_tampering(tmp_path):
    data = b"a" * (crypto.CHUNK + 100)
    path = tmp_path / "f.bin"
    wrapped = crypto.seal_file(io.BytesIO(data), path)
    raw = path.read_bytes()
    path.write_bytes(raw[: 8 + 4 + crypto.CHUNK + 16])  # first chunk only
    with pytest.raises(crypto.CryptoError):
        crypto.open_sealed(path, wrapped)
    tampered = bytearray(raw)
    tampered[20] ^= 1
    path.write_bytes(bytes(tampered))
    with pytest.raises(crypto.CryptoError):
        crypto.open_sealed(path, wrapped)
