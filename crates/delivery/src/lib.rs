#![doc = include_str!("../README.md")]

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Header with the Unix time (seconds) the delivery was signed at.
pub const TIMESTAMP_HEADER: &str = "X-Vulnrelay-Timestamp";
/// Header with the signature, `v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "X-Vulnrelay-Signature";
/// Header with the delivery's idempotency key, the same on every retry.
pub const DELIVERY_HEADER: &str = "X-Vulnrelay-Delivery";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Vulnrelay-Signature` value for `body` signed at `timestamp` (Unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("v1={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The signature header is not `v1=<hex>`.
    #[error("the signature is not of the form v1=<hex>")]
    Malformed,
    /// The timestamp is outside the tolerance window.
    #[error("the timestamp is {skew_seconds} s away from now, more than the {tolerance_seconds} s allowed")]
    Stale {
        /// How far off.
        skew_seconds: i64,
        /// What is allowed.
        tolerance_seconds: i64,
    },
    /// The signature does not match the body and timestamp.
    #[error("the signature does not match")]
    Mismatch,
}

/// Verifies a delivery as a receiver should: the timestamp within `tolerance` of `now`
/// (both Unix seconds), and the signature compared in constant time.
pub fn verify(
    secret: &[u8],
    timestamp: i64,
    body: &[u8],
    signature: &str,
    now: i64,
    tolerance: Duration,
) -> Result<(), VerifyError> {
    let tolerance_seconds = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    let skew_seconds = (now - timestamp).abs();
    if skew_seconds > tolerance_seconds {
        return Err(VerifyError::Stale { skew_seconds, tolerance_seconds });
    }
    let hex_part = signature.strip_prefix("v1=").ok_or(VerifyError::Malformed)?;
    let expected = hex::decode(hex_part).map_err(|_| VerifyError::Malformed)?;
    mac(secret, timestamp, body).verify_slice(&expected).map_err(|_| VerifyError::Mismatch)
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The delay before the first retry, before jitter.
    pub base: Duration,
    /// The longest delay.
    pub cap: Duration,
    /// Attempts in all (the first try included) before the delivery is dead-lettered.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { base: Duration::from_secs(2), cap: Duration::from_secs(3600), max_attempts: 12 }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again after this delay.
    RetryAfter(Duration),
    /// Give up: move the delivery to the dead letters, where a person can replay it.
    DeadLetter,
}

impl RetryPolicy {
    /// The decision after attempt number `attempt` (1 for the first try) failed.
    /// `jitter` is a random number in `[0, 1)` from the caller, so this stays pure:
    /// the delay is drawn uniformly from `[0, min(cap, base × 2^(attempt-1))]`
    /// ("full jitter"), which spreads retries from many deliveries apart.
    pub fn after_failure(&self, attempt: u32, jitter: f64) -> Next {
        if attempt >= self.max_attempts {
            return Next::DeadLetter;
        }
        let exponent = attempt.saturating_sub(1).min(32);
        let ceiling = self.base.saturating_mul(1u32 << exponent.min(31)).min(self.cap);
        Next::RetryAfter(ceiling.mul_f64(jitter.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";

    #[test]
    fn signatures_verify_and_refuse_tampering() {
        let body = br#"{"warning":"CVE-2021-44228"}"#;
        let signature = sign(SECRET, 1_700_000_000, body);
        assert!(signature.starts_with("v1=") && signature.len() == 3 + 64);
        let tolerance = Duration::from_secs(300);
        assert_eq!(verify(SECRET, 1_700_000_000, body, &signature, 1_700_000_100, tolerance), Ok(()));
        assert_eq!(
            verify(SECRET, 1_700_000_000, b"{\"warning\":\"none\"}", &signature, 1_700_000_100, tolerance),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(b"other", 1_700_000_000, body, &signature, 1_700_000_100, tolerance),
            Err(VerifyError::Mismatch)
        );
        // The timestamp is signed: moving it breaks the signature.
        assert_eq!(
            verify(SECRET, 1_700_000_001, body, &signature, 1_700_000_100, tolerance),
            Err(VerifyError::Mismatch)
        );
        assert!(matches!(
            verify(SECRET, 1_700_000_000, body, &signature, 1_700_001_000, tolerance),
            Err(VerifyError::Stale { skew_seconds: 1000, .. })
        ));
        assert_eq!(
            verify(SECRET, 1_700_000_000, body, "sha256=abc", 1_700_000_000, tolerance),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify(SECRET, 1_700_000_000, body, "v1=zz", 1_700_000_000, tolerance),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn a_known_vector_matches_the_documented_construction() {
        // HMAC-SHA256(key = "key", message = "1.{}") computed independently with
        // `printf '1.{}' | openssl dgst -sha256 -hmac key`.
        assert_eq!(
            sign(b"key", 1, b"{}"),
            "v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_ends_in_the_dead_letters() {
        let policy =
            RetryPolicy { base: Duration::from_secs(2), cap: Duration::from_secs(60), max_attempts: 5 };
        assert_eq!(
            policy.after_failure(1, 0.999_999),
            Next::RetryAfter(Duration::from_secs(2).mul_f64(0.999_999))
        );
        assert_eq!(policy.after_failure(3, 0.5), Next::RetryAfter(Duration::from_secs(4)));
        assert_eq!(policy.after_failure(4, 1.0), Next::RetryAfter(Duration::from_secs(16)));
        let capped = RetryPolicy { max_attempts: 100, ..policy };
        assert_eq!(capped.after_failure(40, 1.0), Next::RetryAfter(Duration::from_secs(60)));
        assert_eq!(policy.after_failure(1, 0.0), Next::RetryAfter(Duration::ZERO));
        assert_eq!(policy.after_failure(5, 0.5), Next::DeadLetter);
        assert_eq!(policy.after_failure(9, 0.5), Next::DeadLetter);
    }
}
