#![doc = include_str!("../README.md")]

pub mod archive;
pub mod charts;
mod document;
pub mod feed;
pub mod openpgp;
pub mod provider;

pub use document::{Lang, Publication, bulletin_markdown, manual_markdown, markdown_to_html};
