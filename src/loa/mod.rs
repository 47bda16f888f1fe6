//! The Letter of Authorization: its data and digest, its templates, and the PDF.
//!
//! `digest` defines what the LOA says; `template` turns it into markup, `markup` parses
//! that, `layout` typesets it with the `font` metrics, and `pdf` writes the file.
//! `letter` runs the whole chain for one port.

pub mod afm;
pub mod diff;
pub mod digest;
pub mod font;
pub mod layout;
pub mod letter;
pub mod markup;
pub mod pdf;
pub mod subset;
pub mod template;
