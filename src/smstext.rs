//! SMS text rules: GSM 03.38 / UCS-2 encoding choice and segmentation.

/// How a message is encoded on the air interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// GSM 03.38 default alphabet (7-bit), 160 / 153 septets per part.
    Gsm7,
    /// UCS-2 (UTF-16 code units), 70 / 67 per part.
    Ucs2,
}
