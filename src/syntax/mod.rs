//! Syntax: the spanned JSON tree of a document ([`json`]) and the document's shape as
//! Rust types for its JSON Schema ([`document`]).

pub mod document;
pub mod json;
