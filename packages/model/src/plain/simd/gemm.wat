;; Dense float32 kernels of the Perch trainer in WebAssembly SIMD (128-bit, f32x4).
;;
;; Source of truth for src/plain/simd/gemm-wasm.ts, which `node packages/model/scripts/build-wasm.mjs`
;; regenerates from this file (gemm-wasm.test.ts checks the two agree).
;;
;; All three kernels are one product C = A·B (+ bias) with
;;   - A (M × R) read in place through two byte strides, A(i, r) at a + i·ai + r·ar, so that the same code
;;     reads Q, G or Gᵀ without copying them;
;;   - B (R × N) first packed into panels of 8 columns (R rows of 32 bytes each, zero padded past column N),
;;     so that the inner loop reads B sequentially;
;;   - a 4 × 8 register block: 8 f32x4 accumulators, per r two loads of B, four splats of A, 8 mul + 8 add.
;;
;; Numerics: every C[i, j] is accumulated in float32 in the order r = 0, 1, …, R−1 starting from +0
;; (c ← c + A(i, r)·B[r, j], the product rounded to float32 and then the sum), then the bias is added.
;; This order does not depend on the blocking, the tails or the engine: plain f32x4.mul and f32x4.add only
;; (no relaxed SIMD, no fused multiply-add), so results are bit-identical everywhere, and identical to
;; the scalar recurrence s = fround(s + fround(a·b)).
;;
;; Memory layout (owned by the caller, see index.ts): bytes 0..127 are this module's scratch block
;; (4 rows × 8 floats); every array the caller places must be followed by at least 32 bytes that may be
;; read (a partial panel's bias is read as 8 floats).
(module
  (import "env" "memory" (memory 1))

  ;; ---------------------------------------------------------------------------------------------------
  ;; 4 × 8 block: C(0..3, 0..7) = Σ_r A(0..3, r)·P[r, 0..7] (+ bias[0..7] if bias ≠ 0).
  ;; a = &A(0, 0); ai = byte stride between the block's A rows (0 repeats one row); ar = byte stride
  ;; along r; p = the panel (R rows × 32 bytes); c = &C(0, 0), ldc = byte stride between C rows.
  (func $block4x8 (param $a i32) (param $ai i32) (param $ar i32) (param $p i32) (param $R i32)
                  (param $c i32) (param $ldc i32) (param $bias i32)
    (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $end i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $a1 (i32.add (local.get $a) (local.get $ai)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $ai)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $ai)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $R) (i32.const 5))))
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (loop $r
          (local.set $b0 (v128.load offset=0 (local.get $p)))
          (local.set $b1 (v128.load offset=16 (local.get $p)))
          (local.set $s (v128.load32_splat (local.get $a)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat (local.get $a1)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat (local.get $a2)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $s (v128.load32_splat (local.get $a3)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (local.get $ar)))
          (local.set $a1 (i32.add (local.get $a1) (local.get $ar)))
          (local.set $a2 (i32.add (local.get $a2) (local.get $ar)))
          (local.set $a3 (i32.add (local.get $a3) (local.get $ar)))
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (br_if $r (i32.lt_u (local.get $p) (local.get $end))))))
    (if (local.get $bias)
      (then
        (local.set $b0 (v128.load offset=0 (local.get $bias)))
        (local.set $b1 (v128.load offset=16 (local.get $bias)))
        (local.set $c00 (f32x4.add (local.get $c00) (local.get $b0)))
        (local.set $c01 (f32x4.add (local.get $c01) (local.get $b1)))
        (local.set $c10 (f32x4.add (local.get $c10) (local.get $b0)))
        (local.set $c11 (f32x4.add (local.get $c11) (local.get $b1)))
        (local.set $c20 (f32x4.add (local.get $c20) (local.get $b0)))
        (local.set $c21 (f32x4.add (local.get $c21) (local.get $b1)))
        (local.set $c30 (f32x4.add (local.get $c30) (local.get $b0)))
        (local.set $c31 (f32x4.add (local.get $c31) (local.get $b1)))))
    (v128.store offset=0 (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c10))
    (v128.store offset=16 (local.get $c) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c20))
    (v128.store offset=16 (local.get $c) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c30))
    (v128.store offset=16 (local.get $c) (local.get $c31)))

  ;; Copies rows × cols floats from the scratch block (rows of 32 bytes) to dst (rows of ldd bytes).
  (func $fromScratch (param $rows i32) (param $cols i32) (param $dst i32) (param $ldd i32)
    (local $i i32) (local $k i32) (local $src i32)
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $src (i32.shl (local.get $i) (i32.const 5)))
        (local.set $k (i32.const 0))
        (block $rowDone
          (loop $col
            (br_if $rowDone (i32.ge_u (local.get $k) (local.get $cols)))
            (f32.store (i32.add (local.get $dst) (i32.shl (local.get $k) (i32.const 2)))
                       (f32.load (i32.add (local.get $src) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $col)))
        (local.set $dst (i32.add (local.get $dst) (local.get $ldd)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; ---------------------------------------------------------------------------------------------------
  ;; C (M × N, rows ldc bytes apart) = A·B (+ bias) with B packed at p (see $packRows / $packCols).
  ;; Rows are taken in groups of mb (a multiple of 4): for each group, every panel, then the group's
  ;; blocks of 4 rows. mb ≥ M runs panel by panel over all rows (the panel stays in L1 while A streams);
  ;; mb = 4 runs block row by block row (the A rows stay in L1 while the panels stream).
  ;; The last 1..3 rows are done one at a time (a 4 × 8 block of one repeated row, into the scratch),
  ;; and a panel narrower than 8 columns goes through the scratch too.
  (func $gemm (param $M i32) (param $N i32) (param $R i32) (param $a i32) (param $ai i32) (param $ar i32)
              (param $p i32) (param $c i32) (param $ldc i32) (param $bias i32) (param $mb i32)
    (local $i0 i32) (local $iEnd i32) (local $M4 i32) (local $i i32) (local $j i32) (local $w i32)
    (local $pj i32) (local $biasj i32) (local $panelBytes i32) (local $ai4 i32) (local $ldc4 i32)
    (local $ai1 i32) (local $cij i32)
    (local.set $M4 (i32.and (local.get $M) (i32.const -4)))
    (local.set $panelBytes (i32.shl (local.get $R) (i32.const 5)))
    (local.set $ai4 (i32.shl (local.get $ai) (i32.const 2)))
    (local.set $ldc4 (i32.shl (local.get $ldc) (i32.const 2)))
    ;; full blocks of 4 rows, in groups of mb rows
    (block $groupsDone
      (loop $group
        (br_if $groupsDone (i32.ge_u (local.get $i0) (local.get $M4)))
        (local.set $iEnd (i32.add (local.get $i0) (local.get $mb)))
        (if (i32.gt_u (local.get $iEnd) (local.get $M4)) (then (local.set $iEnd (local.get $M4))))
        (local.set $j (i32.const 0))
        (local.set $pj (local.get $p))
        (block $panelsDone
          (loop $panel
            (br_if $panelsDone (i32.ge_u (local.get $j) (local.get $N)))
            (local.set $w (i32.sub (local.get $N) (local.get $j)))
            (local.set $biasj (select (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))
                                      (i32.const 0) (local.get $bias)))
            (local.set $i (local.get $i0))
            (local.set $cij (i32.add (local.get $c)
                                     (i32.add (i32.mul (local.get $i) (local.get $ldc))
                                              (i32.shl (local.get $j) (i32.const 2)))))
            (block $rowsDone
              (loop $rows
                (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $iEnd)))
                (if (i32.ge_u (local.get $w) (i32.const 8))
                  (then
                    (call $block4x8 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ai)))
                                    (local.get $ai) (local.get $ar) (local.get $pj) (local.get $R)
                                    (local.get $cij) (local.get $ldc) (local.get $biasj)))
                  (else
                    (call $block4x8 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ai)))
                                    (local.get $ai) (local.get $ar) (local.get $pj) (local.get $R)
                                    (i32.const 0) (i32.const 32) (local.get $biasj))
                    (call $fromScratch (i32.const 4) (local.get $w) (local.get $cij) (local.get $ldc))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (local.set $cij (i32.add (local.get $cij) (local.get $ldc4)))
                (br $rows)))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (local.set $pj (i32.add (local.get $pj) (local.get $panelBytes)))
            (br $panel)))
        (local.set $i0 (local.get $iEnd))
        (br $group)))
    ;; the last M mod 4 rows, one at a time
    (local.set $i (local.get $M4))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $M)))
        (local.set $j (i32.const 0))
        (local.set $pj (local.get $p))
        (block $tailPanelsDone
          (loop $tailPanel
            (br_if $tailPanelsDone (i32.ge_u (local.get $j) (local.get $N)))
            (local.set $w (i32.sub (local.get $N) (local.get $j)))
            (if (i32.gt_u (local.get $w) (i32.const 8)) (then (local.set $w (i32.const 8))))
            (local.set $biasj (select (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))
                                      (i32.const 0) (local.get $bias)))
            (call $block4x8 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ai)))
                            (i32.const 0) (local.get $ar) (local.get $pj) (local.get $R)
                            (i32.const 0) (i32.const 32) (local.get $biasj))
            (call $fromScratch (i32.const 1) (local.get $w)
                               (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $ldc))
                                                                (i32.shl (local.get $j) (i32.const 2))))
                               (local.get $ldc))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (local.set $pj (i32.add (local.get $pj) (local.get $panelBytes)))
            (br $tailPanel)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))

  ;; ---------------------------------------------------------------------------------------------------
  ;; Packs B (R × N, row-major, rows ldb bytes apart, at src) into panels of 8 columns at dst:
  ;; panel k holds rows r = 0..R−1 of columns 8k..8k+7, 32 bytes per row, zeros past column N.
  (func $packRows (param $src i32) (param $R i32) (param $N i32) (param $ldb i32) (param $dst i32)
    (local $j i32) (local $w i32) (local $r i32) (local $s i32) (local $t i32)
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $w (i32.sub (local.get $N) (local.get $j)))
        (local.set $s (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $r (i32.const 0))
        (if (i32.ge_u (local.get $w) (i32.const 8))
          (then
            (block $fullDone
              (loop $full
                (br_if $fullDone (i32.ge_u (local.get $r) (local.get $R)))
                (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $s)))
                (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $s)))
                (local.set $s (i32.add (local.get $s) (local.get $ldb)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $full))))
          (else
            (block $partDone
              (loop $part
                (br_if $partDone (i32.ge_u (local.get $r) (local.get $R)))
                (v128.store offset=0 (local.get $dst) (v128.const i32x4 0 0 0 0))
                (v128.store offset=16 (local.get $dst) (v128.const i32x4 0 0 0 0))
                (local.set $t (i32.const 0))
                (block $lanesDone
                  (loop $lanes
                    (br_if $lanesDone (i32.ge_u (local.get $t) (local.get $w)))
                    (f32.store (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 2)))
                               (f32.load (i32.add (local.get $s) (i32.shl (local.get $t) (i32.const 2)))))
                    (local.set $t (i32.add (local.get $t) (i32.const 1)))
                    (br $lanes)))
                (local.set $s (i32.add (local.get $s) (local.get $ldb)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $part)))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panel))))

  ;; Packs B = Tᵀ, for T (N × R, row-major, rows ldt bytes apart, at src), into panels of 8 columns at dst
  ;; (the layout of $packRows): B[r, j] = T[j, r].
  (func $packCols (param $src i32) (param $R i32) (param $N i32) (param $ldt i32) (param $dst i32)
    (local $j i32) (local $t i32) (local $oEnd i32) (local $s i32) (local $o i32) (local $end i32)
    (local.set $end (i32.shl (local.get $R) (i32.const 5)))
    (block $panelsDone
      (loop $panel
        (br_if $panelsDone (i32.ge_u (local.get $j) (local.get $N)))
        (local.set $t (i32.const 0))
        (loop $lane
          ;; lane t of every row of this panel: T[j + t, 0..R−1], or zeros past column N
          (local.set $o (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 2))))
          (local.set $oEnd (i32.add (local.get $o) (local.get $end)))
          (if (i32.lt_u (i32.add (local.get $j) (local.get $t)) (local.get $N))
            (then
              (local.set $s (i32.add (local.get $src)
                                     (i32.mul (i32.add (local.get $j) (local.get $t)) (local.get $ldt))))
              (block $colDone
                (loop $col
                  (br_if $colDone (i32.ge_u (local.get $o) (local.get $oEnd)))
                  (f32.store (local.get $o) (f32.load (local.get $s)))
                  (local.set $s (i32.add (local.get $s) (i32.const 4)))
                  (local.set $o (i32.add (local.get $o) (i32.const 32)))
                  (br $col))))
            (else
              (block $zeroDone
                (loop $zero
                  (br_if $zeroDone (i32.ge_u (local.get $o) (local.get $oEnd)))
                  (f32.store (local.get $o) (f32.const 0))
                  (local.set $o (i32.add (local.get $o) (i32.const 32)))
                  (br $zero)))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $lane (i32.lt_u (local.get $t) (i32.const 8))))
        (local.set $dst (i32.add (local.get $dst) (local.get $end)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panel))))

  ;; Bytes of packed panels a kernel needs at `pack`: 32·⌈N/8⌉·R.
  (func (export "packBytes") (param $R i32) (param $N i32) (result i32)
    (i32.mul (i32.shl (i32.shr_u (i32.add (local.get $N) (i32.const 7)) (i32.const 3)) (i32.const 5))
             (local.get $R)))

  ;; ---------------------------------------------------------------------------------------------------
  ;; S[q, c] = Q[q]·Rc[c] + bc[c]   (Q: P × d, Rc: Cn × d, bc: Cn, S: P × Cn; byte addresses)
  ;; B = Rcᵀ (d × Cn) packed at `pack` (packBytes(d, Cn) bytes).
  (func (export "logits") (param $q i32) (param $rc i32) (param $bc i32) (param $s i32)
                          (param $P i32) (param $Cn i32) (param $d i32) (param $pack i32)
    (call $packCols (local.get $rc) (local.get $d) (local.get $Cn) (i32.shl (local.get $d) (i32.const 2))
                    (local.get $pack))
    (call $gemm (local.get $P) (local.get $Cn) (local.get $d)
                (local.get $q) (i32.shl (local.get $d) (i32.const 2)) (i32.const 4)
                (local.get $pack) (local.get $s) (i32.shl (local.get $Cn) (i32.const 2)) (local.get $bc)
                (i32.const 0x7ffffffc)))

  ;; dQ[q] = Σ_c G[q, c]·Rc[c]   (G: P × Cn, Rc: Cn × d, dQ: P × d, overwritten)
  ;; B = Rc packed at `pack` (packBytes(Cn, d) bytes).
  (func (export "gradQ") (param $g i32) (param $rc i32) (param $dq i32)
                         (param $P i32) (param $Cn i32) (param $d i32) (param $pack i32)
    (call $packRows (local.get $rc) (local.get $Cn) (local.get $d) (i32.shl (local.get $d) (i32.const 2))
                    (local.get $pack))
    (call $gemm (local.get $P) (local.get $d) (local.get $Cn)
                (local.get $g) (i32.shl (local.get $Cn) (i32.const 2)) (i32.const 4)
                (local.get $pack) (local.get $dq) (i32.shl (local.get $d) (i32.const 2)) (i32.const 0)
                (i32.const 4)))

  ;; dRc[c] = Σ_q G[q, c]·Q[q]   (G: P × Cn, Q: P × d, dRc: Cn × d, overwritten)
  ;; A = Gᵀ read in place; B = Q packed at `pack` (packBytes(P, d) bytes).
  (func (export "gradCandidates") (param $g i32) (param $q i32) (param $drc i32)
                                  (param $P i32) (param $Cn i32) (param $d i32) (param $pack i32)
    (call $packRows (local.get $q) (local.get $P) (local.get $d) (i32.shl (local.get $d) (i32.const 2))
                    (local.get $pack))
    (call $gemm (local.get $Cn) (local.get $d) (local.get $P)
                (local.get $g) (i32.const 4) (i32.shl (local.get $Cn) (i32.const 2))
                (local.get $pack) (local.get $drc) (i32.shl (local.get $d) (i32.const 2)) (i32.const 0)
                (i32.const 4))))
