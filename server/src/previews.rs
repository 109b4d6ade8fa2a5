//! Previews of image attachments: a raster image (PNG, JPEG, GIF, WebP) is scaled
//! once, when its content is first stored, to fit in [`EDGE`]×[`EDGE`] pixels (its
//! shape kept), and kept next to the file (`files::preview_path`). A thread shows
//! the preview; the full file is fetched only when it is opened.
//!
//! Decoding is what an attacker would aim at (a small file that declares a huge
//! image): the decoder is held to [`MAX_SIDE`] pixels a side and [`MAX_ALLOC`] bytes,
//! runs on the blocking pool, and a file it refuses simply gets no preview.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use app::tickets::conversation::files;
use app::tickets::conversation::model::is_inline_image;

/// The longest side of a preview, in pixels (twice the size a thread shows, for
/// sharp previews on high-density screens).
pub const EDGE: u32 = 320;
/// Larger images get no preview.
pub const MAX_SIDE: u32 = 12_000;
/// At most this much memory while decoding one image.
pub const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// Makes the preview of the stored content `sha256` (of type `content_type`) unless
/// it is not an image, it has one already, or it cannot be decoded within the
/// limits. Never fails the upload: a problem is logged and the file has no preview.
pub async fn make(dir: &Path, sha256: &str, content_type: &str) {
    if !is_inline_image(content_type) {
        return;
    }
    let source = files::path_for(dir, sha256);
    let target = files::preview_path(dir, sha256);
    if tokio::fs::try_exists(&target).await.unwrap_or(false) {
        return;
    }
    let made = tokio::task::spawn_blocking(move || write_preview(&source, &target)).await;
    match made {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::info!(sha256, error = %e, "no preview for an image"),
        Err(e) => tracing::warn!(sha256, error = %e, "making a preview failed"),
    }
}

fn write_preview(source: &Path, target: &PathBuf) -> Result<(), String> {
    let bytes = preview_bytes(source)?;
    // Written aside, then renamed: a reader never sees half a preview.
    let partial = target.with_extension("preview-part");
    std::fs::write(&partial, &bytes).map_err(|e| e.to_string())?;
    std::fs::rename(&partial, target).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        e.to_string()
    })
}

/// The preview of the image in `source`: JPEG, or PNG where the image has
/// transparency.
pub fn preview_bytes(source: &Path) -> Result<Vec<u8>, String> {
    let mut reader = ImageReader::open(source)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| e.to_string())?;
    let small = image.thumbnail(EDGE, EDGE);
    let mut out = Cursor::new(Vec::new());
    if small.color().has_alpha() {
        small
            .write_to(&mut out, ImageFormat::Png)
            .map_err(|e| e.to_string())?;
    } else {
        DynamicImage::ImageRgb8(small.to_rgb8())
            .write_to(&mut out, ImageFormat::Jpeg)
            .map_err(|e| e.to_string())?;
    }
    Ok(out.into_inner())
}

/// The type of a preview's bytes (they are PNG or JPEG).
pub fn content_type(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else {
        "image/jpeg"
    }
}
