//! The slashing module (work in progress).
