//! The Letter of Authorization: its data and digest.

pub mod digest;
