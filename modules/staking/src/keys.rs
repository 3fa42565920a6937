//! Every storage key of the staking module. Addresses are lower-case hex, heights and times
//! zero-padded, so key order is numeric order.

use openledger_framework::Address;

pub const PREFIX: &str = "staking";

pub fn params() -> &'static str {
    "staking/params"
}

/// A validator, by operator address.
pub fn validator(op: &Address) -> String {
    format!("staking/validators/{}", op.to_hex())
}

pub fn all_validators() -> &'static str {
    "staking/validators/"
}

/// Operator address of a consensus address (`sha256(ed25519 pubkey)[..20]`).
pub fn by_cons_addr(cons: &Address) -> String {
    format!("staking/cons/{}", cons.to_hex())
}

/// Marks a validator tombstoned (double-signed): it can never be unjailed.
pub fn tombstoned(op: &Address) -> String {
    format!("staking/tombstoned/{}", op.to_hex())
}

/// Power of a validator in the set last sent to CometBFT.
pub fn last_power(op: &Address) -> String {
    format!("staking/last_power/{}", op.to_hex())
}

pub fn all_last_powers() -> &'static str {
    "staking/last_power/"
}

pub fn last_total_power() -> &'static str {
    "staking/last_total_power"
}

pub fn delegation(del: &Address, val: &Address) -> String {
    format!("staking/delegations/{}/{}", del.to_hex(), val.to_hex())
}

pub fn delegations_of(del: &Address) -> String {
    format!("staking/delegations/{}/", del.to_hex())
}

pub fn all_delegations() -> &'static str {
    "staking/delegations/"
}

/// Index: the delegations to a validator.
pub fn delegation_by_val(val: &Address, del: &Address) -> String {
    format!(
        "staking/delegations_by_val/{}/{}",
        val.to_hex(),
        del.to_hex()
    )
}

pub fn delegations_to(val: &Address) -> String {
    format!("staking/delegations_by_val/{}/", val.to_hex())
}

pub fn unbonding(del: &Address, val: &Address) -> String {
    format!("staking/ubd/{}/{}", del.to_hex(), val.to_hex())
}

pub fn unbondings_of(del: &Address) -> String {
    format!("staking/ubd/{}/", del.to_hex())
}

pub fn all_unbondings() -> &'static str {
    "staking/ubd/"
}

pub fn unbonding_by_val(val: &Address, del: &Address) -> String {
    format!("staking/ubd_by_val/{}/{}", val.to_hex(), del.to_hex())
}

pub fn unbondings_from(val: &Address) -> String {
    format!("staking/ubd_by_val/{}/", val.to_hex())
}

pub fn redelegation(del: &Address, src: &Address, dst: &Address) -> String {
    format!(
        "staking/red/{}/{}/{}",
        del.to_hex(),
        src.to_hex(),
        dst.to_hex()
    )
}

pub fn redelegations_of(del: &Address) -> String {
    format!("staking/red/{}/", del.to_hex())
}

pub fn all_redelegations() -> &'static str {
    "staking/red/"
}

/// Index: redelegations out of a source validator.
pub fn redelegation_by_src(src: &Address, del: &Address, dst: &Address) -> String {
    format!(
        "staking/red_by_src/{}/{}/{}",
        src.to_hex(),
        del.to_hex(),
        dst.to_hex()
    )
}

pub fn redelegations_from(src: &Address) -> String {
    format!("staking/red_by_src/{}/", src.to_hex())
}

/// Index: redelegations into a destination validator, by delegator.
pub fn redelegation_by_dst(dst: &Address, del: &Address, src: &Address) -> String {
    format!(
        "staking/red_by_dst/{}/{}/{}",
        dst.to_hex(),
        del.to_hex(),
        src.to_hex()
    )
}

pub fn redelegations_to_by(dst: &Address, del: &Address) -> String {
    format!("staking/red_by_dst/{}/{}/", dst.to_hex(), del.to_hex())
}

/// `seconds.nanos`, zero-padded so that key order is time order.
pub fn time_key(seconds: i64, nanos: i32) -> String {
    format!("{:020}.{:09}", seconds.max(0), nanos.max(0))
}

pub fn unbonding_queue(time: &str, del: &Address, val: &Address) -> String {
    format!("staking/ubd_queue/{time}/{}/{}", del.to_hex(), val.to_hex())
}

pub fn unbonding_queue_all() -> &'static str {
    "staking/ubd_queue/"
}

pub fn redelegation_queue(time: &str, del: &Address, src: &Address, dst: &Address) -> String {
    format!(
        "staking/red_queue/{time}/{}/{}/{}",
        del.to_hex(),
        src.to_hex(),
        dst.to_hex()
    )
}

pub fn redelegation_queue_all() -> &'static str {
    "staking/red_queue/"
}

pub fn validator_queue(time: &str, op: &Address) -> String {
    format!("staking/val_queue/{time}/{}", op.to_hex())
}

pub fn validator_queue_all() -> &'static str {
    "staking/val_queue/"
}

pub fn historical_info(height: i64) -> String {
    format!("staking/hist/{:020}", height.max(0))
}

/// The time part of a queue key (`<prefix><time>/…`).
pub fn queue_time<'a>(prefix: &str, key: &'a str) -> Option<&'a str> {
    key.strip_prefix(prefix)?.split('/').next()
}

/// The addresses after the time in a queue key.
pub fn queue_addresses(prefix: &str, key: &str) -> Option<Vec<Address>> {
    let rest = key.strip_prefix(prefix)?;
    rest.split('/')
        .skip(1)
        .map(|h| Address::from_hex(h).ok())
        .collect()
}

/// The addresses in a key after `prefix`.
pub fn addresses_after(prefix: &str, key: &str) -> Option<Vec<Address>> {
    key.strip_prefix(prefix)?
        .split('/')
        .map(|h| Address::from_hex(h).ok())
        .collect()
}

/// The last `/`-separated part of a key, as an address.
pub fn trailing_address(key: &str) -> Option<Address> {
    Address::from_hex(key.rsplit('/').next()?).ok()
}
