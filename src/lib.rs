//! mcpguard: one Azure Policy rule pack, evaluated on Terraform plans,
//! Terraform source and ARM resources.
//!
//! The pipeline, one module per stage:
//! `load` → `inventory` → `policy` + `engine` → `suppress` → `report`,
//! driven by `scan`, with `input` (an input's kind, text and errors) beneath
//! them all. Who may import whom is one table, in `tests/architecture.rs`
//! and the README's Design section.

// Input errors carry their source text so miette can show the offending
// snippet; they are built once per bad input, never on a hot path.
#![allow(clippy::result_large_err)]

pub mod baseline;
pub mod config;
pub mod docs;
pub mod engine;
pub mod findings;
pub mod input;
// `val!` (JSON literal → inventory value) for the stages after the inventory.
#[macro_use]
pub mod inventory;
pub mod load;
pub mod policy;
pub mod preflight;
pub mod report;
pub mod scan;
pub mod suppress;
#[cfg(feature = "azure")]
pub mod sweep;
