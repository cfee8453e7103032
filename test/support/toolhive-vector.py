"""
Independent test vectors for ToolHive's secrets file, for test/unit/encrypted/toolhive-store.test.ts.

Built from stacklok/toolhive pkg/secrets/ (encrypted.go's framing, kdf.go's Argon2id cost,
aes/aes.go's nonce|ciphertext|tag with nil associated data) with a different implementation
than secretctl's: Python's `cryptography` (OpenSSL's Argon2id and AES-GCM) and hashlib. The
nonce and salt are fixed so the output is reproducible; ToolHive draws them at random.

Run: python3 test/support/toolhive-vector.py   (needs cryptography >= 44 for Argon2id)
"""
import hashlib
import json

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

PASSWORD = "vector-password-\u00e9"  # non-ASCII: ToolHive hashes the UTF-8 bytes Go's string holds
SECRETS = {
    "github": "CANARY-gh-7f3a<&>",
    "db_url": "CANARY-postgres://u:p@h/db?x=1&y=2",
    "greeting": "CANARY-h\u00e9llo \u2713 \"quoted\"\nline2",
}
SALT = bytes(range(16))
NONCE_THVSEC = bytes(range(0xA0, 0xAC))
NONCE_LEGACY = bytes(range(0xB0, 0xBC))


def go_json(value):
    """encoding/json.Marshal: compact, map keys sorted, UTF-8 kept, HTML-escaped <, >, & and U+2028/9."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text.encode("utf-8")


plaintext = go_json({"secrets": SECRETS})
password = PASSWORD.encode("utf-8")

# Current format: "THVSEC" | 0x01 | salt(16) | nonce(12) | ciphertext | tag(16); Argon2id t=2 m=19456 p=1.
key = Argon2id(salt=SALT, length=32, iterations=2, lanes=1, memory_cost=19456).derive(password)
thvsec = b"THVSEC" + bytes([1]) + SALT + NONCE_THVSEC + AESGCM(key).encrypt(NONCE_THVSEC, plaintext, None)

# Legacy format: nonce(12) | ciphertext | tag(16) under SHA-256(password).
legacy_key = hashlib.sha256(password).digest()
legacy = NONCE_LEGACY + AESGCM(legacy_key).encrypt(NONCE_LEGACY, plaintext, None)

print("plaintext", plaintext.decode("utf-8"))
print("argon2id_key", key.hex())
print("thvsec", thvsec.hex())
print("legacy", legacy.hex())
