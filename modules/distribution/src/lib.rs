//! The distribution module (work in progress).
