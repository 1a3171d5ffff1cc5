//! An address or a network, as `[web] trusted_proxies` lists them: plain
//! data the configuration checks and the doors match addresses against.

use std::net::IpAddr;
use std::str::FromStr;

/// An address or a network (`10.0.0.0/8`, `::1`), for `trusted_proxies`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressRange {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for AddressRange {
    type Err = String;

    fn from_str(text: &str) -> Result<AddressRange, String> {
        let hint = "expected an address like \"127.0.0.1\" or a network like \"10.0.0.0/8\"";
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{hint}, got {text:?}"))?;
        let most = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => most,
            Some(p) => match p.trim().parse::<u8>() {
                Ok(p) if p <= most => p,
                _ => {
                    return Err(format!(
                        "{hint}; the /length is at most {most}, got {text:?}"
                    ))
                }
            },
        };
        Ok(AddressRange { network, prefix })
    }
}

impl AddressRange {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (net, ip, bits) = match (self.network, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(i)) => (
                u128::from(u32::from(n)) << 96,
                u128::from(u32::from(i)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(n), IpAddr::V6(i)) => (u128::from(n), u128::from(i), self.prefix),
            _ => return false,
        };
        let mask = match bits {
            0 => 0,
            bits => u128::MAX << (128 - u32::from(bits)),
        };
        net & mask == ip & mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_ranges_parse_and_match() {
        let v4: AddressRange = "192.168.0.0/16".parse().unwrap();
        assert!(v4.contains("192.168.4.5".parse().unwrap()));
        assert!(v4.contains("::ffff:192.168.4.5".parse().unwrap()));
        assert!(!v4.contains("192.169.0.1".parse().unwrap()));
        let one: AddressRange = "::1".parse().unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<AddressRange>().is_err());
        assert!("proxy.example".parse::<AddressRange>().is_err());
    }
}
