//! The Merkle tree of a Datanet version (RFC 6962 / RFC 9162 shape, sha256):
//!
//! - leaf  = sha256(0x00 || record id as 8 bytes big-endian || sha256(content))
//! - inner = sha256(0x01 || left || right), splitting `n` leaves at the largest power of two
//!   smaller than `n` (so trees of any size are well defined and proofs are `O(log n)`).
//!
//! [`verify`] needs only the root: a light client holding a version root checks that a record
//! (its id and content) is part of that version.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf_hash(record_id: u64, content_sha256: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(record_id.to_be_bytes());
    h.update(content_sha256);
    h.finalize().into()
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly smaller than `n` (`n >= 2`).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The root over `leaves`; the root of no leaves is sha256 of nothing.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The inclusion proof of leaf `index`: sibling hashes from the leaf up. `None` if out of range.
pub fn proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    path_of(leaves, index, &mut path);
    Some(path)
}

fn path_of(leaves: &[Hash], index: usize, path: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if index < k {
        path_of(&leaves[..k], index, path);
        path.push(root(&leaves[k..]));
    } else {
        path_of(&leaves[k..], index - k, path);
        path.push(root(&leaves[..k]));
    }
}

/// Checks that `leaf` is leaf `index` of a tree of `count` leaves with root `root`
/// (RFC 9162, section 2.1.3.2). Like the root, `count` must come from a trusted source (the
/// version's `record_count`): the path alone does not pin the tree size.
pub fn verify(leaf: &Hash, index: u64, count: u64, siblings: &[Hash], root: &Hash) -> bool {
    if index >= count {
        return false;
    }
    let (mut fnode, mut snode) = (index, count - 1);
    let mut r = *leaf;
    for p in siblings {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n as u64)
            .map(|i| leaf_hash(i + 1, &Sha256::digest(i.to_le_bytes())))
            .collect()
    }

    #[test]
    fn small_trees_have_the_expected_shape() {
        let l = leaves(3);
        assert_eq!(root(&l[..1]), l[0]);
        assert_eq!(root(&l[..2]), node_hash(&l[0], &l[1]));
        assert_eq!(root(&l), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        assert_eq!(proof(&l, 2).unwrap(), vec![node_hash(&l[0], &l[1])]);
        assert_eq!(proof(&l, 0).unwrap(), vec![l[1], l[2]]);
        assert!(proof(&l, 3).is_none());
    }

    proptest! {
        #[test]
        fn every_leaf_proves_and_nothing_else_does(n in 1usize..70, pick in 0usize..70) {
            let l = leaves(n);
            let r = root(&l);
            let i = pick % n;
            let p = proof(&l, i).unwrap();
            prop_assert!(verify(&l[i], i as u64, n as u64, &p, &r));
            // Wrong index, wrong count, wrong leaf, wrong root, truncated path: all fail.
            if n > 1 {
                prop_assert!(!verify(&l[i], ((i + 1) % n) as u64, n as u64, &p, &r));
                prop_assert!(!verify(&l[(i + 1) % n], i as u64, n as u64, &p, &r));
                prop_assert!(!verify(&l[i], i as u64, n as u64, &p[..p.len() - 1], &r));
            }
            let mut bad_root = r;
            bad_root[0] ^= 1;
            prop_assert!(!verify(&l[i], i as u64, n as u64, &p, &bad_root));
            prop_assert!(!verify(&l[i], n as u64, n as u64, &p, &r));
        }
    }
}
