//! Passwords and secrets: argon2id password hashes, random API tokens and session ids,
//! and the SHA-256 under which a token or session id is stored (never the secret).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use vulnrelay_store::{Account, fill_random};

use crate::App;
use crate::error::{Error, Result};

/// Hashes a password with argon2id (the crate's default parameters) and a random salt.
pub fn hash_password(password: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(Error::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(Error::internal)
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new secret: a prefix and 32 random bytes in hex.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// The stored form of a token or session id: its SHA-256 in hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates an API token named `name` for `account`: the record and the secret, which
/// is shown this once (the store keeps its hash).
pub async fn new_token(
    state: &App,
    account: &Account,
    name: &str,
) -> Result<(vulnrelay_store::ApiToken, String)> {
    let token = new_secret("vr_");
    let record =
        state.store.create_token(&account.id, name, &secret_hash(&token), chrono::Utc::now()).await?;
    Ok((record, token))
}
