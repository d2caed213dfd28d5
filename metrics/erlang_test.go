package metrics

import (
	"math"
	"math/big"
	"testing"
	"time"
)

// erlangCBig is an independent Erlang C straight from the textbook
// formula with factorials, in 256-bit floats:
//
//	C = (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A))
func erlangCBig(n int, a float64) float64 {
	const prec = 256
	A := new(big.Float).SetPrec(prec).SetFloat64(a)
	term := new(big.Float).SetPrec(prec).SetInt64(1) // A^k / k!
	sum := new(big.Float).SetPrec(prec)
	for k := 0; k < n; k++ {
		sum.Add(sum, term)
		term.Mul(term, A)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(k+1)))
	}
	// term is now A^N / N!
	top := new(big.Float).SetPrec(prec).Mul(term, new(big.Float).SetPrec(prec).SetFloat64(float64(n)/(float64(n)-a)))
	den := new(big.Float).SetPrec(prec).Add(sum, top)
	v, _ := new(big.Float).Quo(top, den).Float64()
	return v
}

func TestErlangCMatchesFactorialFormula(t *testing.T) {
	for _, tc := range []struct {
		n int
		a float64
	}{{1, 0.5}, {3, 2}, {11, 10}, {13, 10}, {52, 48}, {55, 48}, {60, 48}, {250, 230.5}, {400, 380}} {
		got, want := ErlangC(tc.n, tc.a), erlangCBig(tc.n, tc.a)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("ErlangC(%d, %g) = %.15f; factorial formula gives %.15f", tc.n, tc.a, got, want)
		}
	}
}

// Published table values of P(wait) (Erlang C), e.g. the standard tables
// in Cooper, "Introduction to Queueing Theory", and any call-centre
// calculator: A = 2 Erlangs with 3 agents waits 44.44 % of the time.
func TestErlangCPublishedTable(t *testing.T) {
	for _, tc := range []struct {
		n    int
		a    float64
		want float64
	}{
		{3, 2, 0.4444},
		{2, 1, 0.3333},
		{11, 10, 0.6821},
		{12, 10, 0.4494},
		{13, 10, 0.2853},
		{15, 10, 0.1019},
	} {
		if got := ErlangC(tc.n, tc.a); math.Abs(got-tc.want) > 0.00015 {
			t.Errorf("ErlangC(%d, %g) = %.5f; table says %.4f", tc.n, tc.a, got, tc.want)
		}
	}
	if got := ErlangC(48, 48); got != 1 {
		t.Errorf("ErlangC(48, 48) = %g; want 1 (unstable queue)", got)
	}
}

// The worked example: 360 calls in 30 min at 240 s AHT is 48 Erlangs;
// 55 agents answer 84.6 % within 15 s with ASA 8.2 s; 52 agents 63.7 %.
func TestWorkedExample(t *testing.T) {
	in := StaffingInput{Calls: 360, AHT: 240 * time.Second, Interval: 30 * time.Minute,
		Target: SLTarget{Percent: 80, Threshold: Seconds(15 * time.Second)}}
	for _, tc := range []struct {
		n       int
		sl, asa float64
	}{{55, 0.846, 8.2}, {52, 0.637, -1}} {
		sl, asa, occ, _ := Evaluate(tc.n, in)
		if math.Round(sl*1000)/1000 != tc.sl {
			t.Errorf("%d agents: SL = %.4f; want %.3f", tc.n, sl, tc.sl)
		}
		if tc.asa >= 0 && math.Round(asa*10)/10 != tc.asa {
			t.Errorf("%d agents: ASA = %.3f; want %.1f", tc.n, asa, tc.asa)
		}
		if want := 48 / float64(tc.n); occ != want {
			t.Errorf("%d agents: occupancy = %g; want %g", tc.n, occ, want)
		}
	}
	p, err := Staff(in)
	if err != nil {
		t.Fatal(err)
	}
	// 54 agents fall short of 80 %, 55 meet it.
	if sl54, _, _, _ := Evaluate(54, in); sl54 >= 0.8 {
		t.Fatalf("54 agents already reach %.3f", sl54)
	}
	if p.Erlangs != 48 || p.Agents != 55 || math.Round(p.ServiceLevel*1000) != 846 || math.Round(p.ASA*10) != 82 || p.Occupancy != 0.8727 {
		t.Errorf("Staff = %+v; want 48 Erlangs, 55 agents, SL 84.6 %%, ASA 8.2 s, occupancy 0.8727", p)
	}
	in.Shrinkage = 0.3
	if p, _ := Staff(in); p.Scheduled != 79 { // ceil(55 / 0.7) = ceil(78.57)
		t.Errorf("scheduled with 30%% shrinkage = %d; want 79", p.Scheduled)
	}
}

func TestStaffRejects(t *testing.T) {
	good := StaffingInput{Calls: 10, AHT: time.Minute, Interval: 30 * time.Minute, Target: SLTarget{80, Seconds(20 * time.Second)}}
	for name, mut := range map[string]func(*StaffingInput){
		"zero interval": func(in *StaffingInput) { in.Interval = 0 },
		"no AHT":        func(in *StaffingInput) { in.AHT = 0 },
		"shrinkage 1":   func(in *StaffingInput) { in.Shrinkage = 1 },
		"target 100":    func(in *StaffingInput) { in.Target.Percent = 100 },
		"negative":      func(in *StaffingInput) { in.Calls = -1 },
	} {
		in := good
		mut(&in)
		if _, err := Staff(in); err == nil {
			t.Errorf("%s: Staff succeeded; want error", name)
		}
	}
	if p, err := Staff(StaffingInput{Interval: time.Hour, Target: good.Target}); err != nil || p.Agents != 0 {
		t.Errorf("no calls: %+v, %v; want 0 agents", p, err)
	}
}

func TestParseSLTarget(t *testing.T) {
	for in, want := range map[string]SLTarget{
		"80/20":   {80, Seconds(20 * time.Second)},
		"90/15s":  {90, Seconds(15 * time.Second)},
		"80.5/30": {80.5, Seconds(30 * time.Second)},
	} {
		if got, err := ParseSLTarget(in); err != nil || got != want {
			t.Errorf("ParseSLTarget(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"80", "0/20", "100/20", "x/20", "80/x"} {
		if _, err := ParseSLTarget(bad); err == nil {
			t.Errorf("ParseSLTarget(%q) succeeded", bad)
		}
	}
}
