//! The random part of the retries' back-off, shared by webhook deliveries and relays
//! (`vulnrelay_delivery::RetryPolicy` takes it as an argument and stays deterministic).

/// A random fraction in [0, 1), for the back-off's full jitter.
pub fn jitter() -> f64 {
    let mut bytes = [0u8; 8];
    vulnrelay_store::fill_random(&mut bytes);
    // 53 random bits as a fraction in [0, 1).
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}
