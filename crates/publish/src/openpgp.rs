//! OpenPGP signatures of the provider's documents (CSAF 2.0 Requirements 19 and 20): an
//! Ed25519 key that signs every document with a detached, ASCII-armoured signature
//! (`.asc`), and its public part for `provider-metadata.json` to point at.
//!
//! Signing takes its time from the caller (the document's own release time, never
//! earlier than the key), so the same document signed twice gives the same signature.

use pgp::composed::{
    ArmorOptions, Deserializable, DetachedSignature, KeyType, SecretKeyParamsBuilder, SignedPublicKey,
    SignedSecretKey, SubpacketConfig,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{Subpacket, SubpacketData};
use pgp::types::{KeyDetails, Password, Timestamp as PgpTime};
use vulnrelay_domain::Timestamp;

/// Why a key could not be read, made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not an armoured OpenPGP secret key.
    #[error("not an armoured OpenPGP secret key: {0}")]
    Parse(String),
    /// The key is protected by a passphrase, which the server cannot type.
    #[error("the OpenPGP key is protected by a passphrase; give the server an unprotected signing key")]
    Protected,
    /// The key cannot make signatures.
    #[error("the OpenPGP key cannot sign: {0}")]
    Sign(String),
    /// A time outside what OpenPGP can hold (1970..2106).
    #[error("{0} is outside the times an OpenPGP signature can carry")]
    Time(Timestamp),
}

/// The key that signs the provider's documents.
#[derive(Clone)]
pub struct DocumentSigner {
    key: SignedSecretKey,
}

impl std::fmt::Debug for DocumentSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DocumentSigner({})", self.fingerprint())
    }
}

fn pgp_time(at: Timestamp) -> Result<PgpTime, KeyError> {
    u32::try_from(at.timestamp()).map(PgpTime::from_secs).map_err(|_| KeyError::Time(at))
}

impl DocumentSigner {
    /// A new Ed25519 key for `user_id` (e.g. `vulnrelay CSAF <psirt@example.org>`), created
    /// at `created`, drawing on `rng`.
    pub fn generate<R>(user_id: &str, created: Timestamp, rng: R) -> Result<DocumentSigner, KeyError>
    where
        R: rand::Rng + rand::CryptoRng,
    {
        let params = SecretKeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id(user_id.into())
            .created_at(pgp_time(created)?)
            .build()
            .map_err(|e| KeyError::Sign(e.to_string()))?;
        let key = params.generate(rng).map_err(|e| KeyError::Sign(e.to_string()))?;
        Ok(DocumentSigner { key })
    }

    /// The key in `armored` (`-----BEGIN PGP PRIVATE KEY BLOCK-----`), which must be
    /// unprotected and able to sign.
    pub fn from_armored(armored: &str) -> Result<DocumentSigner, KeyError> {
        let (key, _) = SignedSecretKey::from_string(armored).map_err(|e| KeyError::Parse(e.to_string()))?;
        key.verify_bindings().map_err(|e| KeyError::Parse(e.to_string()))?;
        if key.primary_key.secret_params().is_encrypted() {
            return Err(KeyError::Protected);
        }
        let signer = DocumentSigner { key };
        // One signature proves the key signs (an encryption-only key fails here, at start).
        signer.sign(b"", Timestamp::from(std::time::UNIX_EPOCH))?;
        Ok(signer)
    }

    /// The secret key, armoured: what the server keeps in its key file.
    pub fn to_armored(&self) -> String {
        self.key.to_armored_string(ArmorOptions::default()).expect("a generated key serialises")
    }

    /// The public key, armoured: what the provider publishes (Requirement 20).
    pub fn public_key_armored(&self) -> String {
        SignedPublicKey::from(self.key.clone())
            .to_armored_string(ArmorOptions::default())
            .expect("a public key serialises")
    }

    /// The key's fingerprint, upper-case hex (as `provider-metadata.json` lists it).
    pub fn fingerprint(&self) -> String {
        format!("{:X}", self.key.fingerprint())
    }

    /// When the key was made.
    pub fn created(&self) -> Timestamp {
        let secs = self.key.primary_key.created_at().as_secs();
        chrono::DateTime::from_timestamp(i64::from(secs), 0).unwrap_or_default()
    }

    /// A detached binary signature over `bytes`, armoured (`.asc`), made at `at` — or at
    /// the key's creation when `at` is earlier, since a signature older than its key is
    /// refused by every verifier.
    pub fn sign(&self, bytes: &[u8], at: Timestamp) -> Result<String, KeyError> {
        let at = pgp_time(at.max(self.created()))?;
        let hashed = vec![
            Subpacket::regular(SubpacketData::IssuerFingerprint(self.key.fingerprint()))
                .map_err(|e| KeyError::Sign(e.to_string()))?,
            Subpacket::regular(SubpacketData::SignatureCreationTime(at))
                .map_err(|e| KeyError::Sign(e.to_string()))?,
        ];
        let unhashed = vec![
            Subpacket::regular(SubpacketData::IssuerKeyId(self.key.legacy_key_id()))
                .map_err(|e| KeyError::Sign(e.to_string()))?,
        ];
        let signature = DetachedSignature::sign_binary_data_with_subpackets(
            rand::thread_rng(),
            &self.key.primary_key,
            &Password::empty(),
            HashAlgorithm::Sha512,
            bytes,
            SubpacketConfig::UserDefined { hashed, unhashed },
        )
        .map_err(|e| KeyError::Sign(e.to_string()))?;
        signature.to_armored_string(ArmorOptions::default()).map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Whether `armored` is a valid signature of this key over `bytes`.
    pub fn verify(&self, bytes: &[u8], armored: &str) -> bool {
        let Ok((signature, _)) = DetachedSignature::from_string(armored) else { return false };
        let public = SignedPublicKey::from(self.key.clone());
        signature.verify(&public.primary_key, bytes).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn signer() -> DocumentSigner {
        DocumentSigner::generate(
            "vulnrelay test <csaf@vulnrelay.invalid>",
            at("2026-01-01T00:00:00Z"),
            rand::thread_rng(),
        )
        .unwrap()
    }

    #[test]
    fn signatures_verify_and_break_with_the_bytes() {
        let s = signer();
        let asc = s.sign(b"{\"document\":{}}", at("2026-02-01T00:00:00Z")).unwrap();
        assert!(asc.starts_with("-----BEGIN PGP SIGNATURE-----"));
        assert!(s.verify(b"{\"document\":{}}", &asc));
        assert!(!s.verify(b"{\"document\":{ }}", &asc));
        let other = signer();
        assert!(!other.verify(b"{\"document\":{}}", &asc));
    }

    #[test]
    fn the_same_document_signed_twice_gives_the_same_signature() {
        let s = signer();
        let a = s.sign(b"x", at("2026-02-01T00:00:00Z")).unwrap();
        assert_eq!(a, s.sign(b"x", at("2026-02-01T00:00:00Z")).unwrap());
        // A time before the key is moved up to the key's creation.
        assert_eq!(s.sign(b"x", at("2021-12-10T00:00:00Z")).unwrap(), s.sign(b"x", s.created()).unwrap());
    }

    #[test]
    fn the_key_file_round_trips_and_bad_text_is_refused() {
        let s = signer();
        let again = DocumentSigner::from_armored(&s.to_armored()).unwrap();
        assert_eq!(again.fingerprint(), s.fingerprint());
        assert_eq!(s.fingerprint().len(), 40);
        assert!(s.public_key_armored().starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        assert!(matches!(DocumentSigner::from_armored("not a key"), Err(KeyError::Parse(_))));
        assert!(matches!(DocumentSigner::from_armored(&s.public_key_armored()), Err(KeyError::Parse(_))));
    }
}

/// A provider's public OpenPGP key: what an aggregator checks the `.asc` signatures of
/// the documents it mirrors with.
#[derive(Clone)]
pub struct VerifyingKey {
    key: SignedPublicKey,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyingKey({})", self.fingerprint())
    }
}

impl VerifyingKey {
    /// The public key in `armored` (`-----BEGIN PGP PUBLIC KEY BLOCK-----`), with its
    /// bindings checked.
    pub fn from_armored(armored: &str) -> Result<VerifyingKey, KeyError> {
        let (key, _) = SignedPublicKey::from_string(armored).map_err(|e| KeyError::Parse(e.to_string()))?;
        key.verify_bindings().map_err(|e| KeyError::Parse(e.to_string()))?;
        Ok(VerifyingKey { key })
    }

    /// The key's fingerprint, upper-case hex (as `provider-metadata.json` lists it).
    pub fn fingerprint(&self) -> String {
        format!("{:X}", self.key.fingerprint())
    }

    /// Whether `armored` is a valid detached signature of this key over `bytes`.
    pub fn verify(&self, bytes: &[u8], armored: &str) -> bool {
        let Ok((signature, _)) = DetachedSignature::from_string(armored) else { return false };
        signature.verify(&self.key.primary_key, bytes).is_ok()
    }
}
