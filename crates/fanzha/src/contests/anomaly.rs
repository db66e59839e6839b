//! The anomaly report's arithmetic: bursts of ballots sharing a network, a device or a class in a
//! short window, and ballots from accounts that became usable just before or during voting. No
//! database here; the service feeds it the ballots' origins.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A burst: at least this many ballots sharing one origin…
pub const BURST_MIN: usize = 10;
/// …within this many milliseconds (ten minutes).
pub const BURST_WINDOW_MS: i64 = 10 * 60 * 1000;
/// An account that became usable less than this before voting opened (or during voting) is new.
pub const NEW_ACCOUNT_MS: i64 = 48 * 60 * 60 * 1000;

/// What a burst shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shared {
    Network,
    Device,
    Class,
}

impl Shared {
    pub fn as_str(self) -> &'static str {
        match self {
            Shared::Network => "network",
            Shared::Device => "device",
            Shared::Class => "class",
        }
    }
}

/// Where one vote came from (pseudonymised network and device, the voter's class or unit).
#[derive(Clone, Debug)]
pub struct Origin {
    pub seq: i64,
    pub net: String,
    pub device: String,
    pub unit_path: String,
    /// When the account became usable (activation); 0 when unknown.
    pub account_since: i64,
    pub cast_at: i64,
}

/// One burst found: what the ballots share (the class's path for a class), how many, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burst {
    pub shared: Shared,
    /// The class's unit path (for a class); empty for a network or device (never shown).
    pub unit_path: String,
    pub ballots: usize,
    pub from: i64,
    pub to: i64,
}

/// The counts published with the results (no origin, no person).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ContestAnomalyCounts)]
pub struct Counts {
    /// Votes looked at.
    pub ballots: usize,
    /// Votes inside a burst from one network.
    pub network_burst_ballots: usize,
    /// Votes inside a burst from one device.
    pub device_burst_ballots: usize,
    /// Votes inside a burst from one class.
    pub class_burst_ballots: usize,
    /// Votes from accounts activated within two days before voting opened, or during voting.
    pub new_account_ballots: usize,
}

/// Finds the bursts of each kind (overlapping windows merged into one) and the counts.
pub fn find(origins: &[Origin], voting_open: i64) -> (Vec<Burst>, Counts) {
    let mut bursts = Vec::new();
    let mut counts = Counts {
        ballots: origins.len(),
        new_account_ballots: origins
            .iter()
            .filter(|o| o.account_since > 0 && o.account_since >= voting_open - NEW_ACCOUNT_MS)
            .count(),
        ..Counts::default()
    };
    for shared in [Shared::Network, Shared::Device, Shared::Class] {
        let mut groups: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for o in origins {
            let key = match shared {
                Shared::Network => o.net.as_str(),
                Shared::Device => o.device.as_str(),
                Shared::Class => o.unit_path.as_str(),
            };
            if !key.is_empty() {
                groups.entry(key).or_default().push(o.cast_at);
            }
        }
        let mut in_bursts = 0;
        for (key, mut times) in groups {
            times.sort_unstable();
            // Mark every ballot that lies in some window of BURST_WINDOW_MS holding BURST_MIN.
            let mut marked = vec![false; times.len()];
            let mut lo = 0;
            for hi in 0..times.len() {
                while times[hi] - times[lo] > BURST_WINDOW_MS {
                    lo += 1;
                }
                if hi + 1 - lo >= BURST_MIN {
                    marked[lo..=hi].iter_mut().for_each(|m| *m = true);
                }
            }
            let mut i = 0;
            while i < times.len() {
                if !marked[i] {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < times.len() && marked[i] {
                    i += 1;
                }
                in_bursts += i - start;
                bursts.push(Burst {
                    shared,
                    unit_path: if shared == Shared::Class {
                        key.to_string()
                    } else {
                        String::new()
                    },
                    ballots: i - start,
                    from: times[start],
                    to: times[i - 1],
                });
            }
        }
        match shared {
            Shared::Network => counts.network_burst_ballots = in_bursts,
            Shared::Device => counts.device_burst_ballots = in_bursts,
            Shared::Class => counts.class_burst_ballots = in_bursts,
        }
    }
    bursts.sort_by(|a, b| b.ballots.cmp(&a.ballots).then(a.from.cmp(&b.from)));
    (bursts, counts)
}

/// The network part of an address: IPv4 /24, IPv6 /48 (a home or a dormitory router), as text.
pub fn network_of(ip: &str) -> String {
    match ip.trim().parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => {
            let o = a.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        Ok(std::net::IpAddr::V6(a)) => {
            let s = a.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(seq: i64, net: &str, dev: &str, unit: &str, at_min: i64, since: i64) -> Origin {
        Origin {
            seq,
            net: net.into(),
            device: dev.into(),
            unit_path: unit.into(),
            account_since: since,
            cast_at: at_min * 60_000,
        }
    }

    #[test]
    fn ten_ballots_from_one_network_in_ten_minutes_are_a_burst_nine_are_not() {
        let mut v: Vec<Origin> = (0..10)
            .map(|i| o(i, "n1", &format!("d{i}"), &format!("/c{i}"), i, 0))
            .collect();
        let (b, c) = find(&v, 0);
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].shared, b[0].ballots), (Shared::Network, 10));
        assert_eq!((c.network_burst_ballots, c.device_burst_ballots), (10, 0));
        v.pop();
        assert!(find(&v, 0).0.is_empty());
        // Spread over an hour, the same ten are no burst.
        let spread: Vec<Origin> = (0..10).map(|i| o(i, "n1", "", "", i * 6, 0)).collect();
        assert!(find(&spread, 0).0.is_empty());
    }

    #[test]
    fn classes_devices_and_new_accounts_are_counted_apart() {
        let mut v: Vec<Origin> = (0..12)
            .map(|i| o(i, "", "dev", "/s/c1", i / 2, 0))
            .collect();
        v.push(o(20, "", "", "", 100, 1_000 * 60_000));
        let (b, c) = find(&v, 1_000 * 60_000);
        assert_eq!(c.device_burst_ballots, 12);
        assert_eq!(c.class_burst_ballots, 12);
        assert_eq!(c.new_account_ballots, 1);
        assert!(b
            .iter()
            .any(|x| x.shared == Shared::Class && x.unit_path == "/s/c1"));
        assert_eq!(network_of("10.2.3.4"), "10.2.3.0/24");
        assert_eq!(network_of("2001:db8:1:2::9"), "2001:db8:1::/48");
        assert_eq!(network_of("nonsense"), "");
    }
}
