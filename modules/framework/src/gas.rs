//! Deterministic gas metering with the Cosmos SDK's KV costs.

use crate::error::SdkError;

/// Gas prices of store access and signature checks (the Cosmos SDK's `KVGasConfig` and
/// auth params defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasSchedule {
    pub read_flat: u64,
    pub read_per_byte: u64,
    pub write_flat: u64,
    pub write_per_byte: u64,
    pub delete: u64,
    pub iter_next_flat: u64,
    pub tx_size_per_byte: u64,
    pub sig_verify_secp256k1: u64,
}

impl GasSchedule {
    pub const COSMOS: GasSchedule = GasSchedule {
        read_flat: 1000,
        read_per_byte: 3,
        write_flat: 2000,
        write_per_byte: 30,
        delete: 1000,
        iter_next_flat: 30,
        tx_size_per_byte: 10,
        sig_verify_secp256k1: 1000,
    };
}

impl Default for GasSchedule {
    fn default() -> Self {
        Self::COSMOS
    }
}

/// Counts gas against a limit; exceeding the limit is an `out of gas` error.
#[derive(Debug, Clone)]
pub struct GasMeter {
    limit: u64,
    used: u64,
    pub schedule: GasSchedule,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            used: 0,
            schedule: GasSchedule::COSMOS,
        }
    }

    /// A meter that never runs out (genesis, begin/end block).
    pub fn infinite() -> Self {
        Self::new(u64::MAX)
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn used(&self) -> u64 {
        self.used
    }

    pub fn consume(&mut self, amount: u64, descriptor: &str) -> Result<(), SdkError> {
        let next = self.used.saturating_add(amount);
        if next > self.limit {
            self.used = self.limit;
            return Err(SdkError::OutOfGas(format!(
                "out of gas in location: {descriptor}; gasWanted: {}, gasUsed: {}",
                self.limit, next
            )));
        }
        self.used = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_out_at_the_limit() {
        let mut m = GasMeter::new(100);
        m.consume(60, "a").unwrap();
        let err = m.consume(41, "b").unwrap_err();
        assert!(err.to_string().contains("out of gas in location: b"));
        assert_eq!(m.used(), 100);
    }
}
