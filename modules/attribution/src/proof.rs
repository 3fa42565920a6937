//! The Merkle tree of each block's attribution records.
//!
//! Leaf of a record: `sha256(0x00 || request id as 8 bytes big-endian || sha256(record))`, where
//! `record` is the protobuf encoding of the stored [`AttributionRecord`] (its `leaf_index`
//! included); the tree is the RFC 6962 shape of Datanet versions ([`openledger_datanet::merkle`]),
//! leaves in `leaf_index` order. The [`BlockRoot`] of a height is in the store under
//! [`crate::keys::block_root`], so a record is proven to a light client by its path to the block
//! root, then the root's ICS-23 proof against the app hash.

use openledger_datanet::merkle::{self, Hash};
use openledger_proto::openledger::attribution::v1::{AttributionRecord, BlockRoot};
use prost::Message;
use sha2::{Digest, Sha256};

pub fn leaf_hash(record: &AttributionRecord) -> Hash {
    let digest: [u8; 32] = Sha256::digest(record.encode_to_vec()).into();
    merkle::leaf_hash(record.request_id, &digest)
}

pub fn root(records: &[AttributionRecord]) -> Hash {
    merkle::root(&records.iter().map(leaf_hash).collect::<Vec<_>>())
}

/// Checks that `record` is leaf `record.leaf_index` of the tree whose root and size `root`
/// gives, by the sibling path.
pub fn verify(record: &AttributionRecord, siblings: &[Vec<u8>], root: &BlockRoot) -> bool {
    let Ok(root_hash) = <[u8; 32]>::try_from(root.root.as_slice()) else {
        return false;
    };
    let Ok(siblings) = siblings
        .iter()
        .map(|s| <[u8; 32]>::try_from(s.as_slice()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return false;
    };
    root.request_ids.get(record.leaf_index as usize) == Some(&record.request_id)
        && merkle::verify(
            &leaf_hash(record),
            record.leaf_index,
            root.request_ids.len() as u64,
            &siblings,
            &root_hash,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, leaf_index: u64) -> AttributionRecord {
        AttributionRecord {
            request_id: id,
            output: format!("output {id}"),
            leaf_index,
            ..Default::default()
        }
    }

    #[test]
    fn every_record_proves_against_its_block_root_and_an_altered_one_does_not() {
        for n in 1..9u64 {
            let records: Vec<_> = (0..n).map(|i| record(10 + i, i)).collect();
            let leaves: Vec<Hash> = records.iter().map(leaf_hash).collect();
            let block = BlockRoot {
                height: 5,
                root: root(&records).to_vec(),
                request_ids: records.iter().map(|r| r.request_id).collect(),
            };
            for (i, r) in records.iter().enumerate() {
                let path: Vec<Vec<u8>> = merkle::proof(&leaves, i)
                    .expect("in range")
                    .iter()
                    .map(|h| h.to_vec())
                    .collect();
                assert!(verify(r, &path, &block), "n={n} i={i}");
                let mut altered = r.clone();
                altered.output.push('!');
                assert!(!verify(&altered, &path, &block));
                let mut moved = r.clone();
                moved.leaf_index = (moved.leaf_index + 1) % n;
                assert!(n == 1 || !verify(&moved, &path, &block));
            }
        }
    }
}
