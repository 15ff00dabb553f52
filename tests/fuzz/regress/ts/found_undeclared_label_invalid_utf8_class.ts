# a co@univariate truemment
@problemName Multi
@timeStamps false
@missing true
@univariate false
@dimensions 0
@equalLength false
@classLabel true uáp down
@data
1,2,3:4,5,6:up
# between rows

7,?,ñÿÿÿ:11,12,13,14:down
