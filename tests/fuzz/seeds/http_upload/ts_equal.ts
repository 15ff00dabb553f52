@problemName Eq
@univariate true
@equalLength true
@seriesLength 3
@classLabel true a b
@data
1.5,2,3:a
-1,1e-3,0:b
