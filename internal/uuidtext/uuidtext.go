// Package uuidtext writes a 16-byte UUID in its canonical text form
// (8-4-4-4-12 lowercase hex). Standard library only; shared by the SQLite
// dialect's gen_random_uuid() and the session's client-drawn keys.
package uuidtext

import "encoding/hex"

// Format returns u as xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.
func Format(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
