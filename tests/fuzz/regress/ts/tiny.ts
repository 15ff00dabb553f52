@classLabel true a
@data
1e-400,3:a
