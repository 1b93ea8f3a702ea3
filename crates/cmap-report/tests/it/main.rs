//! Integration tests of `cmap report`: result documents are built with the schema types, written
//! to a temporary folder, reported on, and the report's files are read back and checked.

mod cli;
mod errors;
mod fixture;
mod html;
mod merge;
mod reference;
mod svg;
mod tables;
