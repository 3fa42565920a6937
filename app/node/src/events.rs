//! The state machine's events in CometBFT's form (indexed, so the tx indexer finds them).

use openledger_framework::Event;
use tendermint::abci::{Event as AbciEvent, EventAttributeIndexExt};

pub fn to_abci_events(events: &[Event]) -> Vec<AbciEvent> {
    events
        .iter()
        .map(|e| {
            AbciEvent::new(
                e.kind.clone(),
                e.attributes
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()).index()),
            )
        })
        .collect()
}
