//! Store keys. IBC's provable state lives in the `ibc` substore at the ICS-24 paths
//! (`clients/07-tendermint-0/clientState`, `commitments/ports/transfer/channels/channel-0/sequences/1`,
//! …), so a counterparty proves `ibc` + path against our app hash with the commitment prefix
//! `ibc`, as it does on a Cosmos SDK chain. Bookkeeping that is not part of ICS-24 sits beside it
//! under names ibc-go uses too; ICS-20's state is in the `transfer` substore.

use ibc::core::client::types::Height;
use ibc::core::host::types::identifiers::ClientId;

/// The substore of IBC core, which is also the commitment prefix.
pub const PREFIX: &str = "ibc";
/// The substore of the ICS-20 transfer application.
pub const TRANSFER_PREFIX: &str = "transfer";

/// An ICS-24 path in the ibc substore.
pub fn path(path: impl std::fmt::Display) -> String {
    format!("{PREFIX}/{path}")
}

pub fn next_client_sequence() -> &'static str {
    "ibc/nextClientSequence"
}

pub fn next_connection_sequence() -> &'static str {
    "ibc/nextConnectionSequence"
}

pub fn next_channel_sequence() -> &'static str {
    "ibc/nextChannelSequence"
}

/// Heights padded so that their keys sort in height order.
fn height_key(h: &Height) -> String {
    format!("{:020}-{:020}", h.revision_number(), h.revision_height())
}

/// One entry per consensus state a client holds, in height order (for pruning and for the
/// previous/next consensus state the light client asks about).
pub fn consensus_heights(client: &ClientId) -> String {
    format!("{PREFIX}/clients/{client}/consensusHeights/")
}

pub fn consensus_height(client: &ClientId, h: &Height) -> String {
    format!("{}{}", consensus_heights(client), height_key(h))
}

/// `DenomTrace` of the voucher denom `ibc/<hash>`.
pub fn denom_trace(hash: &str) -> String {
    format!("{TRANSFER_PREFIX}/denomTraces/{hash}")
}

pub fn denom_traces() -> &'static str {
    "transfer/denomTraces/"
}

/// What the channels' escrow accounts hold of a native denom, in total.
pub fn total_escrow(denom: &str) -> String {
    format!("{TRANSFER_PREFIX}/totalEscrow/{denom}")
}

pub fn transfer_params() -> &'static str {
    "transfer/params"
}
