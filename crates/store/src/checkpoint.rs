//! Signed checkpoints of the hash chains' heads.
//!
//! The hash chain proves that rows agree with each other, not that nobody rewrote a
//! whole chain: whoever holds the database can recompute every hash. A checkpoint is
//! the server's Ed25519 signature over a chain's head (`vulnrelay-checkpoint/v1`,
//! the chain, the sequence number, the hash and the time of signing), made with a key
//! kept outside the database. Checked against the public key its operator publishes, a
//! checkpoint shows that the chain had that head at that time; a rewritten chain no
//! longer has it.

use std::collections::HashMap;
use std::path::Path;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use crate::model::{BrokenLink, Checkpoint};
use crate::time::format_ts;
use vulnrelay_domain::Timestamp;

/// The signed text of a checkpoint.
pub fn message(chain: &str, seq: i64, hash: &str, signed_at: Timestamp) -> String {
    format!("vulnrelay-checkpoint/v1\n{chain}\n{seq}\n{hash}\n{}", format_ts(signed_at))
}

/// The statement that reads a page of the chains marked as appended to (migration 0029)
/// whose heads are in `table`, keyed by `column` (`events`/`case_id`, `org_events`/
/// `org_id`), in id order, `page` of them: each id and mark, its head's `seq` and `hash`
/// (none without an event), and whether the key signed that head (`signed`). Parameters:
/// `$1` the kind (`case`, `org`), `$2` the public key, `$3` the id to read after, `$4` the
/// one id to read (empty: every one).
pub fn marked_heads(table: &str, column: &str, page: i64) -> String {
    format!(
        "SELECT u.id, u.mark, e.seq, e.hash, \
         EXISTS (SELECT 1 FROM checkpoints c WHERE c.chain = $1 || '/' || u.id AND c.seq = e.seq \
                 AND c.public_key = $2) AS signed \
         FROM unsigned_chains u LEFT JOIN {table} e ON e.{column} = u.id \
             AND e.seq = (SELECT MAX(m.seq) FROM {table} m WHERE m.{column} = u.id) \
         WHERE u.kind = $1 AND u.id > $3 AND ($4 = '' OR u.id = $4) ORDER BY u.id LIMIT {page}"
    )
}

/// Writes a new key file at `path`, readable by its owner only; an existing file is
/// never overwritten (the error says it exists).
pub fn write_key_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, bytes)
}

/// Reads a 32-byte Ed25519 seed kept in hex at `path`.
pub fn load_seed(path: &Path) -> std::io::Result<[u8; 32]> {
    let invalid = |what: &str| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {what}", path.display()))
    };
    let text = std::fs::read_to_string(path)?;
    let bytes = hex::decode(text.trim()).map_err(|_| invalid("not a hex key"))?;
    bytes.try_into().map_err(|_| invalid("not a 32-byte key"))
}

/// Reads the seed at `path`, or makes a random one and writes it there (with
/// [`write_key_file`]: readable by its owner only) when there is none.
pub fn load_or_create_seed(path: &Path) -> std::io::Result<[u8; 32]> {
    match load_seed(path) {
        Ok(seed) => Ok(seed),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| std::io::Error::other(e.to_string()))?;
            write_key_file(path, format!("{}\n", hex::encode(seed)).as_bytes())?;
            Ok(seed)
        }
        Err(e) => Err(e),
    }
}

/// The server's signing key.
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.public_key())
    }
}

impl Signer {
    /// A signer from a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Signer {
        Signer { key: SigningKey::from_bytes(&seed) }
    }

    /// Reads the key at `path` (the seed in hex).
    pub fn load(path: &Path) -> std::io::Result<Signer> {
        load_seed(path).map(Signer::from_seed)
    }

    /// Reads the key at `path`, or makes one and writes it there (readable by its
    /// owner only) when there is none.
    pub fn load_or_create(path: &Path) -> std::io::Result<Signer> {
        load_or_create_seed(path).map(Signer::from_seed)
    }

    /// The public key, in hex: what the operator publishes and `verify` trusts.
    pub fn public_key(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// Signs the head `(seq, hash)` of `chain` at `signed_at`.
    pub fn sign(&self, chain: &str, seq: i64, hash: &str, signed_at: Timestamp) -> Checkpoint {
        let signature = self.key.sign(message(chain, seq, hash, signed_at).as_bytes());
        Checkpoint {
            chain: chain.to_owned(),
            seq,
            hash: hash.to_owned(),
            signed_at,
            public_key: self.public_key(),
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

/// Whether `checkpoint` carries a valid signature by `public_key` (hex).
pub fn signature_holds(checkpoint: &Checkpoint, public_key: &str) -> bool {
    let Some(key) = hex::decode(public_key).ok().and_then(|b| <[u8; 32]>::try_from(b).ok()) else {
        return false;
    };
    let Some(signature) = hex::decode(&checkpoint.signature).ok().and_then(|b| <[u8; 64]>::try_from(b).ok())
    else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&key) else { return false };
    let text = message(&checkpoint.chain, checkpoint.seq, &checkpoint.hash, checkpoint.signed_at);
    key.verify_strict(text.as_bytes(), &Signature::from_bytes(&signature)).is_ok()
}

/// Checks the checkpoints signed by `trusted_key` against the chains as they are now
/// (`chains`: each chain's hashes in `seq` order) and names every one that no longer
/// holds: a signature that does not verify, a chain that no longer has the signed hash
/// at the signed position (rewritten or cut short), a checkpointed chain that is gone.
/// Checkpoints by other keys are not evidence and are left aside.
pub fn check(
    checkpoints: &[Checkpoint],
    chains: &HashMap<String, Vec<String>>,
    trusted_key: &str,
) -> Vec<BrokenLink> {
    let mut broken = Vec::new();
    for c in checkpoints.iter().filter(|c| c.public_key == trusted_key) {
        let link =
            |reason: &str| BrokenLink { case_id: c.chain.clone(), seq: c.seq, reason: reason.to_owned() };
        if !signature_holds(c, trusted_key) {
            broken.push(link("the checkpoint's signature does not verify"));
            continue;
        }
        let now = chains.get(&c.chain).and_then(|hashes| hashes.get((c.seq - 1).max(0) as usize));
        match now {
            None => broken.push(link("the chain no longer reaches the signed checkpoint")),
            Some(hash) if *hash != c.hash => {
                broken.push(link("the chain's hash differs from the signed checkpoint (rewritten)"))
            }
            Some(_) => {}
        }
    }
    broken
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_rewritten_chain_no_longer_matches_what_was_signed() {
        let signer = Signer::from_seed([7; 32]);
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap();
        let chains: HashMap<String, Vec<String>> =
            [("case/c1".to_owned(), vec!["h1".to_owned(), "h2".to_owned()])].into();
        let signed = vec![signer.sign("case/c1", 2, "h2", at)];
        let key = signer.public_key();
        assert!(check(&signed, &chains, &key).is_empty());
        // The whole chain recomputed: the head differs.
        let rewritten: HashMap<String, Vec<String>> =
            [("case/c1".to_owned(), vec!["h1".to_owned(), "forged".to_owned()])].into();
        assert_eq!(
            check(&signed, &rewritten, &key)[0].reason,
            "the chain's hash differs from the signed checkpoint (rewritten)"
        );
        // Cut short, or gone.
        let cut: HashMap<String, Vec<String>> = [("case/c1".to_owned(), vec!["h1".to_owned()])].into();
        assert_eq!(check(&signed, &cut, &key).len(), 1);
        assert_eq!(check(&signed, &HashMap::new(), &key).len(), 1);
        // A forged checkpoint (another hash under the same signature) does not verify.
        let mut forged = signed.clone();
        forged[0].hash = "forged".into();
        assert_eq!(check(&forged, &rewritten, &key)[0].reason, "the checkpoint's signature does not verify");
        // A checkpoint signed by another key is no evidence.
        let other = Signer::from_seed([9; 32]).sign("case/c1", 2, "forged", at);
        assert!(check(&[other], &rewritten, &key).is_empty());
    }

    #[test]
    fn keys_are_kept_in_a_file_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint.key");
        let made = Signer::load_or_create(&path).unwrap();
        let read = Signer::load_or_create(&path).unwrap();
        assert_eq!(made.public_key(), read.public_key());
        std::fs::write(&path, "not hex").unwrap();
        assert!(Signer::load_or_create(&path).is_err());
    }
}
