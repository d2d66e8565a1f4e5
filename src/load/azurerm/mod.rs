//! Terraform → ARM translation (placeholder until the translation lands).
use crate::inventory::{InputKind, Resource};
use crate::load::terraform::TfModel;

/// Translates a Terraform model into ARM-shaped resources.
pub fn translate(_model: TfModel, _kind: InputKind) -> (Vec<Resource>, Vec<String>) {
    (Vec::new(), Vec::new())
}
