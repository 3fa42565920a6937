//! The gov module (work in progress).
