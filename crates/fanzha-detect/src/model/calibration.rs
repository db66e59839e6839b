//! The risk map of a model (its calibration): the knots, their check and their place in the
//! metadata and the model's id, the piecewise-linear map, and the fit on held-out rows.

use super::{fnv64, Model};

/// The model's id: the weights' hash, followed when the model carries a risk map by a hash of
/// its knots, so that two files differing only in the map have different ids.
pub(super) fn full_version(weights: &str, knots: &[(f32, f32)]) -> String {
    if knots.is_empty() {
        return weights.to_string();
    }
    let bytes: Vec<u8> = knots
        .iter()
        .flat_map(|&(x, y)| x.to_le_bytes().into_iter().chain(y.to_le_bytes()))
        .collect();
    format!("{weights}-c{:08x}", fnv64(&[&bytes]) as u32)
}

/// Whether knots make a usable map: finite, in [0, 1], x strictly and y weakly increasing.
pub(super) fn valid_knots(k: &[(f32, f32)]) -> bool {
    k.len() >= 2
        && k.iter()
            .all(|&(x, y)| (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&y))
        && k.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
}

/// The `calibration` field of a metadata text: `{"knots": [[risk, calibrated], …]}`.
pub(super) fn meta_calibration(meta: &str) -> Vec<(f32, f32)> {
    let parse = || -> Option<Vec<(f32, f32)>> {
        let v: serde_json::Value = serde_json::from_str(meta).ok()?;
        let k = v.get("calibration")?.get("knots")?.as_array()?;
        k.iter()
            .map(|p| Some((p.get(0)?.as_f64()? as f32, p.get(1)?.as_f64()? as f32)))
            .collect()
    };
    parse().filter(|k| valid_knots(k)).unwrap_or_default()
}

impl Model {
    /// The fitted risk map as knots `(risk, calibrated)`; empty when the model carries none.
    pub fn calibration(&self) -> &[(f32, f32)] {
        &self.calibration
    }

    /// Sets (or with an empty slice removes) the risk map and records it in the metadata. The
    /// model's `version` keeps the weights' hash and gains the map's. Knots that do not make a monotone
    /// map of [0, 1] are refused (the map is removed).
    pub fn set_calibration(&mut self, knots: &[(f32, f32)]) {
        self.calibration = if valid_knots(knots) {
            knots.to_vec()
        } else {
            Vec::new()
        };
        if let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str(&self.meta) {
            if self.calibration.is_empty() {
                m.remove("calibration");
            } else {
                let k: Vec<[f32; 2]> = self.calibration.iter().map(|&(x, y)| [x, y]).collect();
                m.insert("calibration".into(), serde_json::json!({ "knots": k }));
            }
            self.meta = serde_json::Value::Object(m).to_string();
        }
        self.version = full_version(&self.weights_version, &self.calibration);
    }

    /// The calibrated risk: the knots' piecewise-linear map (flat beyond the first and last
    /// knot), or `risk` itself without a map.
    ///
    /// ```
    /// let mut m = fanzha_detect::model::Model::empty(8);
    /// assert_eq!(m.calibrate(0.3), 0.3);
    /// m.set_calibration(&[(0.0, 0.0), (0.2, 0.6), (1.0, 1.0)]);
    /// assert!((m.calibrate(0.1) - 0.3).abs() < 1e-6);
    /// assert!((m.calibrate(0.6) - 0.8).abs() < 1e-6);
    /// ```
    #[inline]
    pub fn calibrate(&self, risk: f32) -> f32 {
        let k = &self.calibration;
        if k.is_empty() {
            return risk;
        }
        let i = k.partition_point(|&(x, _)| x <= risk);
        if i == 0 {
            return k[0].1;
        }
        if i == k.len() {
            return k[k.len() - 1].1;
        }
        let ((x0, y0), (x1, y1)) = (k[i - 1], k[i]);
        y0 + (y1 - y0) * (risk - x0) / (x1 - x0)
    }
}

/// Fits a monotone map of raw risks to outcomes (`true` = fraud): isotonic regression (pool
/// adjacent violators) over rows sorted by risk, with blocks merged until each holds at least
/// `min_rows` rows so that a handful of rows cannot bend the map. Each block becomes a knot at
/// its mean risk and its share of fraud; the map is pinned to (0, 0) and (1, 1) at the ends when
/// the outer blocks allow. Empty when there are no rows of one outcome.
///
/// ```
/// // Risks that are too low: the rows at 0.3 are fraud most of the time.
/// let mut rows = vec![(0.3f32, true); 80];
/// rows.extend(vec![(0.3f32, false); 20]);
/// rows.extend(vec![(0.01f32, false); 500]);
/// rows.extend(vec![(0.99f32, true); 200]);
/// let knots = fanzha_detect::model::fit_calibration(&rows, 20);
/// let mut m = fanzha_detect::model::Model::empty(8);
/// m.set_calibration(&knots);
/// assert!((m.calibrate(0.3) - 0.8).abs() < 1e-3, "{knots:?}");
/// assert!(m.calibrate(0.01) < 0.05);
/// ```
pub fn fit_calibration(rows: &[(f32, bool)], min_rows: usize) -> Vec<(f32, f32)> {
    if !rows.iter().any(|r| r.1) || !rows.iter().any(|r| !r.1) {
        return Vec::new();
    }
    let mut sorted: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.0.is_finite())
        .map(|&(r, y)| (f64::from(r.clamp(0.0, 1.0)), if y { 1.0 } else { 0.0 }))
        .collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Blocks: (sum of risk, sum of outcome, rows). Rows of equal risk share a block.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for (r, y) in sorted {
        blocks.push((r, y, 1));
        loop {
            let n = blocks.len();
            if n < 2 {
                break;
            }
            let (a, b) = (blocks[n - 2], blocks[n - 1]);
            let small = a.2 < min_rows;
            let violates = a.1 / a.2 as f64 >= b.1 / b.2 as f64;
            let same_risk = (a.0 / a.2 as f64 - b.0 / b.2 as f64).abs() < 1e-9;
            if violates || small || same_risk {
                blocks[n - 2] = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
                blocks.pop();
            } else {
                break;
            }
        }
    }
    // The last block may be small: fold it into its neighbour, keeping monotonicity.
    while blocks.len() >= 2 && blocks[blocks.len() - 1].2 < min_rows {
        let b = blocks.pop().unwrap_or_default();
        if let Some(a) = blocks.last_mut() {
            *a = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    let mut knots: Vec<(f32, f32)> = blocks
        .iter()
        .map(|b| ((b.0 / b.2 as f64) as f32, (b.1 / b.2 as f64) as f32))
        .collect();
    // Pooling can leave equal shares in neighbouring blocks only when they were not merged;
    // keep the map non-decreasing and x strictly increasing.
    knots.dedup_by(|b, a| b.0 <= a.0);
    for i in 1..knots.len() {
        if knots[i].1 < knots[i - 1].1 {
            knots[i].1 = knots[i - 1].1;
        }
    }
    if knots.first().is_some_and(|k| k.0 > 0.0) {
        knots.insert(0, (0.0, 0.0));
    }
    if knots.last().is_some_and(|k| k.0 < 1.0) {
        knots.push((1.0, 1.0));
    }
    if valid_knots(&knots) {
        knots
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    #[test]
    fn the_calibration_map_survives_the_file_and_bad_maps_are_refused() {
        let mut m = Model::empty(8);
        m.meta = "{\"version\":\"fzdm-test\"}".into();
        m.weights_version = "fzdm-test".into();
        m.set_calibration(&[(0.0, 0.0), (0.3, 0.7), (1.0, 1.0)]);
        let again = Model::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(again.calibration(), m.calibration());
        assert!((again.calibrate(0.15) - 0.35).abs() < 1e-6);
        // The id keeps the weights' hash and names the map: another map, another id; no map,
        // the weights' hash alone.
        assert!(
            again.version().starts_with("fzdm-test-c"),
            "{}",
            again.version()
        );
        assert_eq!(again.version(), m.version());
        let mut other = Model::from_bytes(&m.to_bytes()).unwrap();
        other.set_calibration(&[(0.0, 0.0), (0.3, 0.6), (1.0, 1.0)]);
        assert_ne!(other.version(), again.version());
        other.set_calibration(&[]);
        assert_eq!(other.version(), "fzdm-test");
        // Not monotone, out of range, one knot: no map at all.
        for bad in [
            vec![(0.0, 0.5), (0.5, 0.2), (1.0, 1.0)],
            vec![(0.0, 0.0), (1.5, 1.0)],
            vec![(0.2, 0.2)],
        ] {
            m.set_calibration(&bad);
            assert!(m.calibration().is_empty(), "{bad:?}");
            assert_eq!(m.calibrate(0.42), 0.42);
            assert!(!m.meta().contains("calibration"));
        }
        // A file whose metadata carries a bad map loads without one.
        m.meta = "{\"calibration\":{\"knots\":[[0.5,0.9],[0.4,1.0]]}}".into();
        assert!(Model::from_bytes(&m.to_bytes())
            .unwrap()
            .calibration()
            .is_empty());
    }

    #[test]
    fn the_fitted_map_is_monotone_and_pools_small_blocks() {
        // Alternating outcomes at rising risk: every block must hold at least 10 rows.
        let rows: Vec<(f32, bool)> = (0..200)
            .map(|i| (i as f32 / 200.0, i % 3 == 0 || i > 150))
            .collect();
        let k = fit_calibration(&rows, 10);
        assert!(k.len() >= 3, "{k:?}");
        assert!(
            k.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{k:?}"
        );
        assert_eq!(k[0], (0.0, 0.0));
        assert_eq!(k[k.len() - 1], (1.0, 1.0));
        assert!(fit_calibration(&[(0.3, true), (0.9, true)], 1).is_empty());
    }
}
