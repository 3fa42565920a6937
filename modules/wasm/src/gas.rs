//! Gas: CosmWasm gas inside the VM, Cosmos SDK gas outside, converted with wasmd's register
//! (`x/wasm/keeper/gas_register.go`, CosmWasm 2.x values).

/// wasmd's costs. All values are SDK gas except `multiplier` (VM gas per SDK gas).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GasRegister {
    /// CosmWasm gas per SDK gas: 140_000 since CosmWasm 2.0 cut the VM's gas per operation
    /// 1000-fold (it was 140_000_000 with CosmWasm 1.x).
    pub multiplier: u64,
    /// Charged each time a contract instance is loaded (no codes are pinned here).
    pub instance_cost: u64,
    /// Per byte of wasm compiled by `MsgStoreCode`.
    pub compile_cost_per_byte: u64,
    /// Per byte of a gzip'd upload inflated, as a fraction (wasmd: 15/100).
    pub uncompress_cost: (u64, u64),
    /// Per byte of a message passed into a contract.
    pub message_data_cost_per_byte: u64,
    /// Per byte of event attribute keys and values, after a free tier.
    pub event_attribute_data_cost: u64,
    pub event_attribute_data_free_tier: u64,
    /// Per attribute emitted.
    pub event_per_attribute_cost: u64,
    /// Per custom (`wasm-…`) event.
    pub custom_event_cost: u64,
    /// Address conversions through the VM's `Api`.
    pub humanize_cost: u64,
    pub canonicalize_cost: u64,
}

impl GasRegister {
    pub const WASMD: GasRegister = GasRegister {
        multiplier: 140_000,
        instance_cost: 60_000,
        compile_cost_per_byte: 3,
        uncompress_cost: (15, 100),
        message_data_cost_per_byte: 0,
        event_attribute_data_cost: 1,
        event_attribute_data_free_tier: 100,
        event_per_attribute_cost: 10,
        custom_event_cost: 20,
        humanize_cost: 5,
        canonicalize_cost: 4,
    };

    pub fn to_vm(&self, sdk_gas: u64) -> u64 {
        sdk_gas.saturating_mul(self.multiplier)
    }

    pub fn from_vm(&self, vm_gas: u64) -> u64 {
        vm_gas / self.multiplier
    }

    pub fn instance_costs(&self, msg_len: usize) -> u64 {
        self.instance_cost.saturating_add(
            self.message_data_cost_per_byte
                .saturating_mul(msg_len as u64),
        )
    }

    pub fn compile_costs(&self, wasm_len: usize) -> u64 {
        self.compile_cost_per_byte.saturating_mul(wasm_len as u64)
    }

    pub fn uncompress_costs(&self, wasm_len: usize) -> u64 {
        let (num, den) = self.uncompress_cost;
        (wasm_len as u64).saturating_mul(num) / den.max(1)
    }

    /// The cost of a contract's attributes and custom events; the free tier covers the first
    /// bytes of attribute data over all of them.
    pub fn event_costs(
        &self,
        attributes: &[(usize, usize)],
        events: &[(usize, Vec<(usize, usize)>)],
    ) -> u64 {
        let mut free = self.event_attribute_data_free_tier;
        let mut gas = self.attribute_costs(attributes, &mut free);
        for (type_len, attrs) in events {
            gas = gas
                .saturating_add(self.custom_event_cost)
                .saturating_add(
                    self.event_attribute_data_cost
                        .saturating_mul(*type_len as u64),
                )
                .saturating_add(self.attribute_costs(attrs, &mut free));
        }
        gas
    }

    fn attribute_costs(&self, attributes: &[(usize, usize)], free: &mut u64) -> u64 {
        if attributes.is_empty() {
            return 0;
        }
        let bytes: u64 = attributes.iter().map(|(k, v)| (k + v) as u64).sum();
        let charged = bytes.saturating_sub(*free);
        *free = free.saturating_sub(bytes);
        self.event_attribute_data_cost
            .saturating_mul(charged)
            .saturating_add(
                self.event_per_attribute_cost
                    .saturating_mul(attributes.len() as u64),
            )
    }
}

impl Default for GasRegister {
    fn default() -> Self {
        Self::WASMD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_and_event_free_tier() {
        let g = GasRegister::WASMD;
        assert_eq!(g.to_vm(2), 280_000);
        assert_eq!(g.from_vm(279_999), 1);
        assert_eq!(g.uncompress_costs(1000), 150);
        // 60 bytes in two attributes: inside the free tier, only the per-attribute cost.
        assert_eq!(g.event_costs(&[(10, 20), (10, 20)], &[]), 20);
        // A custom event after the free tier is used up pays for its bytes.
        let gas = g.event_costs(&[(50, 50)], &[(5, vec![(10, 10)])]);
        assert_eq!(gas, 10 + 20 + 5 + (20 + 10));
    }
}
