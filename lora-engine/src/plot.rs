//! The loss-curve PNG written by training.

use std::path::Path;
use std::sync::OnceLock;

use plotters::prelude::*;

use crate::error::{Error, Result};

const FONTS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// Registers a system TrueType font for labels; false when none is installed.
fn font() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        for f in FONTS {
            if let Ok(bytes) = std::fs::read(f) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

/// Draws train loss per step and eval loss per epoch into a PNG.
pub fn loss_curve(path: &Path, train: &[(usize, f64)], eval: &[(usize, f64)]) -> Result<()> {
    let err =
        |e: String| Error::Invalid(format!("{}: drawing the loss curve: {e}", path.display()));
    let labels = font();
    let root = BitMapBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
    let max_x = train
        .iter()
        .chain(eval)
        .map(|p| p.0)
        .max()
        .unwrap_or(1)
        .max(1);
    let max_y = train
        .iter()
        .chain(eval)
        .map(|p| p.1)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.05;
    let mut builder = ChartBuilder::on(&root);
    builder.margin(15);
    if labels {
        builder
            .caption("LoRA training loss", ("sans-serif", 22))
            .x_label_area_size(40)
            .y_label_area_size(55);
    }
    let mut chart = builder
        .build_cartesian_2d(0usize..max_x, 0f64..max_y)
        .map_err(|e| err(e.to_string()))?;
    let mut mesh = chart.configure_mesh();
    if labels {
        mesh.x_desc("step").y_desc("loss");
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw().map_err(|e| err(e.to_string()))?;
    let s = chart
        .draw_series(LineSeries::new(train.iter().copied(), &BLUE))
        .map_err(|e| err(e.to_string()))?;
    if labels {
        s.label("train")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    }
    if !eval.is_empty() {
        let s = chart
            .draw_series(LineSeries::new(eval.iter().copied(), RED.stroke_width(2)))
            .map_err(|e| err(e.to_string()))?;
        if labels {
            s.label("eval")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED));
        }
    }
    if labels {
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE.mix(0.8))
            .draw()
            .map_err(|e| err(e.to_string()))?;
    }
    root.present().map_err(|e| err(e.to_string()))?;
    Ok(())
}
