package server

import (
	"net"
	"net/netip"

	"github.com/labstack/echo/v4"
)

// clientIP decides whose address a request is, for the per-address limits
// and the logs. X-Forwarded-For is believed only when the connection comes
// from one of the trusted proxies (--trusted-proxy), and then only up to
// the first address that is not itself a trusted proxy: anyone else could
// write any address there.
func clientIP(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
