from connectors.signing import sign, signed_headers, verify


def test_a_signed_request_verifies():
    body = b'{"a": 1}'
    headers = signed_headers("secret", body, now=1_800_000_000)
    assert verify("secret", headers["X-Hamyar-Timestamp"], headers["X-Hamyar-Signature"], body, now=1_800_000_010) is None


def test_wrong_secret_body_or_old_timestamp_fail():
    body = b'{"a": 1}'
    signature = sign("secret", "1800000000", body)
    assert verify("other", "1800000000", signature, body, now=1_800_000_000) == "bad_signature"
    assert verify("secret", "1800000000", signature, b'{"a": 2}', now=1_800_000_000) == "bad_signature"
    assert verify("secret", "1800000000", signature, body, now=1_800_000_301) == "stale"
    assert verify("secret", "not-a-number", signature, body, now=1_800_000_000) == "bad_signature"
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
