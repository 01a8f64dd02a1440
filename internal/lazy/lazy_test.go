package lazy

import (
	"sync"
	"testing"
)

var built int

var counted = Value[int]{Make: func() int { built++; return 42 }}

func TestBuiltOnceOnFirstGet(t *testing.T) {
	if built != 0 {
		t.Fatalf("built %d times before the first Get", built)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v := counted.Get(); v != 42 {
				t.Errorf("Get = %d, want 42", v)
			}
		}()
	}
	wg.Wait()
	if built != 1 {
		t.Errorf("Make ran %d times, want 1", built)
	}
}

func TestGetAllocatesNothingOnceBuilt(t *testing.T) {
	counted.Get()
	if n := testing.AllocsPerRun(100, func() { counted.Get() }); n != 0 {
		t.Errorf("Get allocates %v times per call", n)
	}
}

func BenchmarkGet(b *testing.B) {
	counted.Get()
	for i := 0; i < b.N; i++ {
		counted.Get()
	}
}
