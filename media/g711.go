package media

// G.711 (ITU-T G.711) companding. Decoding uses 256-entry tables built at
// init; encoding uses the segment search of the reference implementation,
// which is branch-light and allocation-free.

// Codec is a G.711 variant as negotiated in SDP.
type Codec struct {
	Name        string // SDP encoding name: "PCMU" or "PCMA"
	PayloadType uint8  // static RTP payload type (RFC 3551)
	// Silence is the encoded value of a zero sample.
	Silence byte
	law     law
}

type law uint8

const (
	lawMu law = iota
	lawA
)

// The two codecs Switchboard speaks. Both run at 8 kHz with 160-sample frames.
var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0, Silence: 0xFF, law: lawMu}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, Silence: 0xD5, law: lawA}
)

const (
	// SampleRate is the G.711 clock rate.
	SampleRate = 8000
	// FrameSamples is one 20 ms frame (ptime 20).
	FrameSamples = 160
)

// Encode compands pcm into dst; len(dst) must be at least len(pcm).
func (c Codec) Encode(dst []byte, pcm []int16) {
	_ = dst[len(pcm)-1:]
	if c.law == lawA {
		for i, s := range pcm {
			dst[i] = linearToAlaw(s)
		}
		return
	}
	for i, s := range pcm {
		dst[i] = linearToUlaw(s)
	}
}

// Decode expands g711 into dst; len(dst) must be at least len(g711).
func (c Codec) Decode(dst []int16, g711 []byte) {
	table := &ulawTable
	if c.law == lawA {
		table = &alawTable
	}
	_ = dst[len(g711)-1:]
	for i, b := range g711 {
		dst[i] = table[b]
	}
}

var ulawTable, alawTable [256]int16

func init() {
	for i := range 256 {
		ulawTable[i] = ulawToLinear(byte(i))
		alawTable[i] = alawToLinear(byte(i))
	}
}

const (
	ulawBias = 0x84
	ulawClip = 32635
)

func linearToUlaw(sample int16) byte {
	s := int32(sample)
	sign := byte(0)
	if s < 0 {
		s = -s
		sign = 0x80
	}
	if s > ulawClip {
		s = ulawClip
	}
	s += ulawBias
	exp := byte(7)
	for mask := int32(0x4000); s&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := byte(s>>(exp+3)) & 0x0F
	return ^(sign | exp<<4 | mant)
}

func ulawToLinear(u byte) int16 {
	u = ^u
	sign := u & 0x80
	exp := (u >> 4) & 0x07
	mant := u & 0x0F
	s := ((int32(mant) << 3) + ulawBias) << exp
	s -= ulawBias
	if sign != 0 {
		return int16(-s)
	}
	return int16(s)
}

func linearToAlaw(sample int16) byte {
	s := int32(sample) >> 3 // A-law works on 13-bit magnitudes
	mask := byte(0xD5)
	if s < 0 {
		mask = 0x55
		s = -s - 1
	}
	var seg byte
	for end := int32(0x1F); seg < 8 && s > end; end = end<<1 | 1 {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := seg << 4
	if seg < 2 {
		a |= byte(s>>1) & 0x0F
	} else {
		a |= byte(s>>seg) & 0x0F
	}
	return a ^ mask
}

func alawToLinear(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0F) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
