//! mcpguard: one Azure Policy rule pack, evaluated on Terraform plans,
//! Terraform source and ARM resources.
//!
//! The pipeline, one module per stage:
//! `load` → `inventory` → `policy` + `engine` → `suppress` → `report`,
//! driven by `scan`.

pub mod baseline;
pub mod config;
pub mod docs;
pub mod engine;
pub mod findings;
pub mod inventory;
pub mod load;
pub mod policy;
pub mod report;
pub mod scan;
pub mod suppress;
#[cfg(feature = "azure")]
pub mod sweep;
