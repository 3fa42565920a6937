//! Every storage key of the gov module. Proposal ids are zero-padded and addresses lower-case
//! hex, so key order is id order; queue keys start with a zero-padded time, so key order is
//! time order.

use openledger_framework::Address;

pub const PREFIX: &str = "gov";

pub fn params() -> &'static str {
    "gov/params"
}

pub fn next_proposal_id() -> &'static str {
    "gov/next_proposal_id"
}

pub fn constitution() -> &'static str {
    "gov/constitution"
}

fn id(id: u64) -> String {
    format!("{id:020}")
}

pub fn proposal(pid: u64) -> String {
    format!("gov/proposals/{}", id(pid))
}

pub fn all_proposals() -> &'static str {
    "gov/proposals/"
}

pub fn deposit(pid: u64, depositor: &Address) -> String {
    format!("gov/deposits/{}/{}", id(pid), depositor.to_hex())
}

pub fn deposits_of(pid: u64) -> String {
    format!("gov/deposits/{}/", id(pid))
}

pub fn all_deposits() -> &'static str {
    "gov/deposits/"
}

pub fn vote(pid: u64, voter: &Address) -> String {
    format!("gov/votes/{}/{}", id(pid), voter.to_hex())
}

pub fn votes_of(pid: u64) -> String {
    format!("gov/votes/{}/", id(pid))
}

pub fn all_votes() -> &'static str {
    "gov/votes/"
}

/// Proposals in their deposit period, by deposit end time.
pub fn inactive_queue(time: &str, pid: u64) -> String {
    format!("gov/inactive_queue/{time}/{}", id(pid))
}

pub fn inactive_queue_all() -> &'static str {
    "gov/inactive_queue/"
}

/// Proposals in their voting period, by voting end time.
pub fn active_queue(time: &str, pid: u64) -> String {
    format!("gov/active_queue/{time}/{}", id(pid))
}

pub fn active_queue_all() -> &'static str {
    "gov/active_queue/"
}

/// `(time, proposal id)` of a queue key.
pub fn parse_queue_key<'a>(prefix: &str, key: &'a str) -> Option<(&'a str, u64)> {
    let (time, pid) = key.strip_prefix(prefix)?.split_once('/')?;
    Some((time, pid.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_keys_parse_and_sort() {
        let a = inactive_queue("00000000000000000099.000000000", 12);
        let b = inactive_queue("00000000000000000100.000000000", 3);
        assert!(a < b);
        assert_eq!(
            parse_queue_key(inactive_queue_all(), &b),
            Some(("00000000000000000100.000000000", 3))
        );
        assert!(proposal(9) < proposal(10));
    }
}
